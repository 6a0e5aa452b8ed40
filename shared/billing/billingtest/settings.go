package billingtest

import (
	"context"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/errs"
)

// Settings is a billing.Settings kept in maps. Values are copied in and
// out, as a real store's are, so a caller's later change never leaks in.
type Settings struct {
	mu      sync.Mutex
	plans   []billing.Plan
	pricing map[string]billing.ClientPricing
	life    map[string]map[string]billing.PropertyLifecycle
}

var _ billing.Settings = (*Settings)(nil)

// NewSettings returns an empty store (no price list stored).
func NewSettings() *Settings {
	return &Settings{pricing: map[string]billing.ClientPricing{}, life: map[string]map[string]billing.PropertyLifecycle{}}
}

func clonePlans(ps []billing.Plan) []billing.Plan {
	out := make([]billing.Plan, len(ps))
	for i, p := range ps {
		if p.UnitPrice != nil {
			v := *p.UnitPrice
			p.UnitPrice = &v
		}
		out[i] = p
	}
	return out
}

func clonePricing(cp billing.ClientPricing) billing.ClientPricing {
	ch := make([]billing.PriceChange, len(cp.Changes))
	for i, c := range cp.Changes {
		if c.UnitPrice != nil {
			v := *c.UnitPrice
			c.UnitPrice = &v
		}
		ch[i] = c
	}
	cp.Changes = ch
	return cp
}

func cloneLife(l billing.PropertyLifecycle) billing.PropertyLifecycle {
	l.Changes = append([]billing.StatusChange{}, l.Changes...)
	return l
}

// Plans implements billing.Settings.
func (s *Settings) Plans(context.Context) ([]billing.Plan, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.plans == nil {
		return nil, false, nil
	}
	return clonePlans(s.plans), true, nil
}

// PutPlans implements billing.Settings.
func (s *Settings) PutPlans(_ context.Context, plans []billing.Plan) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.plans = clonePlans(plans)
	return nil
}

// ClientPricing implements billing.Settings.
func (s *Settings) ClientPricing(_ context.Context, clientID string) (billing.ClientPricing, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp, ok := s.pricing[clientID]
	if !ok {
		return billing.ClientPricing{ClientID: clientID, Changes: []billing.PriceChange{}}, nil
	}
	return clonePricing(cp), nil
}

// UpdateClientPricing implements billing.Settings.
func (s *Settings) UpdateClientPricing(_ context.Context, clientID string, fn func(*billing.ClientPricing) error) (billing.ClientPricing, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp, ok := s.pricing[clientID]
	if !ok {
		cp = billing.ClientPricing{ClientID: clientID}
	}
	cp = clonePricing(cp)
	if err := fn(&cp); err != nil {
		return billing.ClientPricing{}, err
	}
	s.pricing[clientID] = clonePricing(cp)
	return cp, nil
}

// Lifecycles implements billing.Settings.
func (s *Settings) Lifecycles(_ context.Context, clientID string) ([]billing.PropertyLifecycle, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []billing.PropertyLifecycle{}
	for _, l := range s.life[clientID] {
		out = append(out, cloneLife(l))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PropertyID < out[j].PropertyID })
	return out, nil
}

// UpdateLifecycle implements billing.Settings.
func (s *Settings) UpdateLifecycle(_ context.Context, clientID, propertyID string, fn func(*billing.PropertyLifecycle) error) (billing.PropertyLifecycle, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.life[clientID][propertyID]
	if !ok {
		l = billing.PropertyLifecycle{PropertyID: propertyID}
	}
	l = cloneLife(l)
	if err := fn(&l); err != nil {
		return billing.PropertyLifecycle{}, err
	}
	if s.life[clientID] == nil {
		s.life[clientID] = map[string]billing.PropertyLifecycle{}
	}
	s.life[clientID][propertyID] = cloneLife(l)
	return l, nil
}

// SettingsContract runs the billing.Settings contract against fresh stores
// from open: what is written is read back exactly, per client and per
// property, and an Update whose fn fails writes nothing.
func SettingsContract(t *testing.T, open func(t *testing.T) billing.Settings) {
	ctx := context.Background()
	at := time.Date(2026, 11, 3, 9, 30, 0, 0, time.UTC)
	money := func(m billing.Money) *billing.Money { return &m }

	t.Run("Plans", func(t *testing.T) {
		s := open(t)
		if _, ok, err := s.Plans(ctx); ok || err != nil {
			t.Fatalf("Plans of an empty store: ok %v, %v; want none", ok, err)
		}
		want := []billing.Plan{
			{PlanID: "basic", Name: "Basic", UnitPrice: money(150), Currency: "USD", MinimumMonthly: 25000},
			{PlanID: "enterprise", Name: "Enterprise", Currency: "USD"},
			{PlanID: "euro", Name: "Euro", UnitPrice: money(199), Currency: "EUR", MinimumMonthly: 1},
		}
		if err := s.PutPlans(ctx, want); err != nil {
			t.Fatalf("PutPlans: %v", err)
		}
		got, ok, err := s.Plans(ctx)
		if err != nil || !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("Plans = %+v, %v, %v; want %+v", got, ok, err, want)
		}
		if err := s.PutPlans(ctx, want[:1]); err != nil {
			t.Fatalf("PutPlans: %v", err)
		}
		if got, _, _ := s.Plans(ctx); !reflect.DeepEqual(got, want[:1]) {
			t.Errorf("Plans after replace = %+v, want %+v", got, want[:1])
		}
	})

	t.Run("ClientPricing", func(t *testing.T) {
		s := open(t)
		got, err := s.ClientPricing(ctx, "acme")
		if err != nil || got.ClientID != "acme" || len(got.Changes) != 0 || got.StripeCustomerID != "" {
			t.Fatalf("ClientPricing of a new client = %+v, %v", got, err)
		}
		want := billing.ClientPricing{ClientID: "acme", StripeCustomerID: "cus_A1", Changes: []billing.PriceChange{
			{EffectiveMonth: "2025-01", PlanID: "basic", SetBy: "admin", SetAt: at},
			{EffectiveMonth: "2025-07", PlanID: "enterprise", UnitPrice: money(123), SetBy: "admin", SetAt: at},
		}}
		out, err := s.UpdateClientPricing(ctx, "acme", func(cp *billing.ClientPricing) error {
			if cp.ClientID != "acme" || len(cp.Changes) != 0 {
				t.Errorf("fn got %+v, want an empty pricing of acme", cp)
			}
			*cp = want
			return nil
		})
		if err != nil || !reflect.DeepEqual(out, want) {
			t.Fatalf("UpdateClientPricing = %+v, %v", out, err)
		}
		if got, err := s.ClientPricing(ctx, "acme"); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ClientPricing = %+v, %v; want %+v", got, err, want)
		}
		boom := errs.E(errs.Invalid, "no")
		if _, err := s.UpdateClientPricing(ctx, "acme", func(cp *billing.ClientPricing) error {
			cp.Changes = nil
			return boom
		}); !errs.Is(err, errs.Invalid) {
			t.Errorf("failing fn: %v, want its Invalid", err)
		}
		if got, _ := s.ClientPricing(ctx, "acme"); !reflect.DeepEqual(got, want) {
			t.Errorf("a failed update wrote: %+v", got)
		}
		if got, _ := s.ClientPricing(ctx, "other"); len(got.Changes) != 0 {
			t.Errorf("another client sees %+v", got)
		}
	})

	t.Run("Lifecycles", func(t *testing.T) {
		s := open(t)
		if got, err := s.Lifecycles(ctx, "acme"); err != nil || len(got) != 0 {
			t.Fatalf("Lifecycles of a new client = %+v, %v", got, err)
		}
		set := func(client, pid string, ch ...billing.StatusChange) billing.PropertyLifecycle {
			t.Helper()
			l, err := s.UpdateLifecycle(ctx, client, pid, func(l *billing.PropertyLifecycle) error {
				if l.PropertyID != pid {
					t.Errorf("fn got property %q, want %q", l.PropertyID, pid)
				}
				l.Changes = append(l.Changes, ch...)
				return nil
			})
			if err != nil {
				t.Fatalf("UpdateLifecycle: %v", err)
			}
			return l
		}
		off := billing.StatusChange{EffectiveMonth: "2025-03", Status: billing.PropertyInactive, SetBy: "u", SetAt: at}
		on := billing.StatusChange{EffectiveMonth: "2025-09", Status: billing.PropertyActive, SetBy: "u", SetAt: at}
		set("acme", "P2", off)
		set("acme", "P1", off)
		l := set("acme", "P2", on)
		if want := []billing.StatusChange{off, on}; !reflect.DeepEqual(l.Changes, want) {
			t.Errorf("P2 changes = %+v, want %+v", l.Changes, want)
		}
		set("other", "P1", on)
		got, err := s.Lifecycles(ctx, "acme")
		want := []billing.PropertyLifecycle{
			{PropertyID: "P1", Changes: []billing.StatusChange{off}},
			{PropertyID: "P2", Changes: []billing.StatusChange{off, on}},
		}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Lifecycles = %+v, %v; want %+v", got, err, want)
		}
	})
}
