package billing

import (
	"context"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
)

// Plan is a price-list entry: a price per billed unit per month, in one
// currency, and the least a client on it pays in a month. A nil UnitPrice
// is a custom plan (Enterprise): each client on it carries its own price.
type Plan struct {
	PlanID         string `json:"plan_id" firestore:"plan_id"`
	Name           string `json:"name" firestore:"name"`
	UnitPrice      *Money `json:"unit_price" firestore:"unit_price"`
	Currency       string `json:"currency" firestore:"currency"`
	MinimumMonthly Money  `json:"minimum_monthly" firestore:"minimum_monthly"`
}

// The seeded plan ids. A client that was never given a plan is on
// DefaultPlanID.
const (
	PlanBasic      = "basic"
	PlanPro        = "pro"
	PlanEnterprise = "enterprise"
	DefaultPlanID  = PlanBasic
)

func price(m Money) *Money { return &m }

// DefaultPlans is the price list until a super admin stores one: Basic and
// Pro per unit per month, Enterprise custom (priced per client).
func DefaultPlans() []Plan {
	return []Plan{
		{PlanID: PlanBasic, Name: "Basic", UnitPrice: price(150), Currency: "USD", MinimumMonthly: 25000},
		{PlanID: PlanPro, Name: "Pro", UnitPrice: price(250), Currency: "USD", MinimumMonthly: 50000},
		{PlanID: PlanEnterprise, Name: "Enterprise", UnitPrice: nil, Currency: "USD", MinimumMonthly: 250000},
	}
}

// MaxPlans bounds the price list.
const MaxPlans = 50

var (
	planIDPattern   = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,39}$`)
	currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)
)

// PriceChange is a client's plan, and optionally its own unit price, from
// EffectiveMonth on, until a later change.
type PriceChange struct {
	EffectiveMonth string `json:"effective_month" firestore:"effective_month"`
	PlanID         string `json:"plan_id" firestore:"plan_id"`
	// UnitPrice overrides the plan's price for this client; nil uses the plan's.
	UnitPrice *Money    `json:"unit_price" firestore:"unit_price"`
	SetBy     string    `json:"set_by,omitempty" firestore:"set_by"`
	SetAt     time.Time `json:"set_at" firestore:"set_at"`
}

// ClientPricing is a client's billing settings: its price changes (oldest
// effective month first) and the Stripe customer its usage is reported to.
type ClientPricing struct {
	ClientID         string        `json:"client_id" firestore:"client_id"`
	StripeCustomerID string        `json:"stripe_customer_id,omitempty" firestore:"stripe_customer_id"`
	Changes          []PriceChange `json:"changes" firestore:"changes"`
}

// Property statuses of the lifecycle. Stale is not set by anyone: a
// property is stale in a month when its latest roll is older than the
// carry-forward limit.
const (
	PropertyActive   = "active"
	PropertyInactive = "inactive"
	PropertyStale    = "stale"
)

// StatusChange makes a property active or inactive from EffectiveMonth on.
type StatusChange struct {
	EffectiveMonth string    `json:"effective_month" firestore:"effective_month"`
	Status         string    `json:"status" firestore:"status"`
	SetBy          string    `json:"set_by,omitempty" firestore:"set_by"`
	SetAt          time.Time `json:"set_at" firestore:"set_at"`
}

// PropertyLifecycle is one property's status changes, oldest effective
// month first. A property without changes is active.
type PropertyLifecycle struct {
	PropertyID string         `json:"property_id" firestore:"property_id"`
	Changes    []StatusChange `json:"changes" firestore:"changes"`
}

// StatusIn is the property's set status in month (YYYY-MM): the latest
// change effective at or before it, else active.
func (l PropertyLifecycle) StatusIn(month string) string {
	st := PropertyActive
	for _, c := range l.Changes {
		if c.EffectiveMonth <= month {
			st = c.Status
		}
	}
	return st
}

// MaxStatusChanges and MaxPriceChanges bound one document's history.
const (
	MaxStatusChanges = 120
	MaxPriceChanges  = 120
)

// Settings keeps the price list, each client's pricing and each property's
// lifecycle (Firestore in production; billingtest.Settings in memory). The
// Update methods read, apply fn and write in one transaction; fn may run more
// than once and its error is returned as is.
type Settings interface {
	// Plans returns the stored price list, or ok false when none is stored.
	Plans(ctx context.Context) (plans []Plan, ok bool, err error)
	// PutPlans replaces the stored price list.
	PutPlans(ctx context.Context, plans []Plan) error
	// ClientPricing returns a client's pricing; the zero value (with
	// ClientID set) when it has none.
	ClientPricing(ctx context.Context, clientID string) (ClientPricing, error)
	// UpdateClientPricing changes a client's pricing.
	UpdateClientPricing(ctx context.Context, clientID string, fn func(*ClientPricing) error) (ClientPricing, error)
	// Lifecycles returns every property of the client that has a status
	// change, in property id order.
	Lifecycles(ctx context.Context, clientID string) ([]PropertyLifecycle, error)
	// UpdateLifecycle changes one property's lifecycle.
	UpdateLifecycle(ctx context.Context, clientID, propertyID string, fn func(*PropertyLifecycle) error) (PropertyLifecycle, error)
}

// Plans returns the price list in force: the stored one, else DefaultPlans.
func (s *Service) Plans(ctx context.Context) ([]Plan, error) {
	if s.Settings == nil {
		return DefaultPlans(), nil
	}
	plans, ok, err := s.Settings.Plans(ctx)
	if err != nil {
		return nil, errs.Wrap(err, errs.CodeOf(err), "read the price list")
	}
	if !ok {
		return DefaultPlans(), nil
	}
	return plans, nil
}

// PutPlans replaces the price list. A plan cannot be removed (clients and
// billed months name it); its price may change, and the change applies to
// every month not yet billed: a billed month keeps the prices it was billed
// at, even when it is re-run.
func (s *Service) PutPlans(ctx context.Context, plans []Plan) ([]Plan, error) {
	if s.Settings == nil {
		return nil, errs.E(errs.Internal, "billing settings are not configured")
	}
	if len(plans) == 0 || len(plans) > MaxPlans {
		return nil, errs.E(errs.Invalid, "plans: between 1 and %d plans", MaxPlans)
	}
	seen := map[string]bool{}
	out := make([]Plan, len(plans))
	for i, p := range plans {
		p.Name = strings.TrimSpace(p.Name)
		switch {
		case !planIDPattern.MatchString(p.PlanID):
			return nil, errs.E(errs.Invalid, "plans[%d].plan_id must be 1 to 40 lower-case letters, digits, '_' or '-', starting with a letter", i)
		case seen[p.PlanID]:
			return nil, errs.E(errs.Invalid, "plans[%d].plan_id %q appears twice", i, p.PlanID)
		case p.Name == "" || utf8.RuneCountInString(p.Name) > 100:
			return nil, errs.E(errs.Invalid, "plans[%d].name must be 1 to 100 characters", i)
		case !currencyPattern.MatchString(p.Currency):
			return nil, errs.E(errs.Invalid, "plans[%d].currency must be an ISO 4217 code such as USD", i)
		case p.MinimumMonthly < 0 || p.MinimumMonthly > maxMoney:
			return nil, errs.E(errs.Invalid, "plans[%d].minimum_monthly is out of range", i)
		case p.UnitPrice != nil && (*p.UnitPrice < 0 || *p.UnitPrice > maxMoney):
			return nil, errs.E(errs.Invalid, "plans[%d].unit_price is out of range", i)
		}
		seen[p.PlanID] = true
		out[i] = p
	}
	current, err := s.Plans(ctx)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, p := range current {
		if !seen[p.PlanID] {
			missing = append(missing, p.PlanID)
		}
	}
	if len(missing) > 0 {
		return nil, errs.E(errs.Invalid, "plans cannot be removed (clients and billed months name them): %s", strings.Join(missing, ", "))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PlanID < out[j].PlanID })
	if err := s.Settings.PutPlans(ctx, out); err != nil {
		return nil, errs.Wrap(err, errs.CodeOf(err), "store the price list")
	}
	return out, nil
}

// PricingPatch is the plan part of PATCH /v1/admin/clients/{cid}: a plan,
// a custom unit price, or both, from EffectiveMonth on; and the Stripe
// customer the client's usage is reported to.
type PricingPatch struct {
	PlanID           *string `json:"plan_id,omitempty"`
	UnitPrice        *Money  `json:"unit_price,omitempty"`
	EffectiveMonth   *string `json:"effective_month,omitempty"`
	StripeCustomerID *string `json:"stripe_customer_id,omitempty"`
}

// Empty reports whether p changes nothing.
func (p PricingPatch) Empty() bool {
	return p.PlanID == nil && p.UnitPrice == nil && p.EffectiveMonth == nil && p.StripeCustomerID == nil
}

var stripeCustomerPattern = regexp.MustCompile(`^cus_[A-Za-z0-9]{1,60}$`)

// Terms is what a client pays in a month: its plan, the unit price, the
// currency and the minimum monthly charge.
type Terms struct {
	PlanID         string `json:"plan_id"`
	UnitPrice      Money  `json:"unit_price"`
	Currency       string `json:"currency"`
	MinimumMonthly Money  `json:"minimum_monthly"`
}

// PricingView is a client's pricing as the API shows it: the terms of the
// current month, the Stripe customer, and every change.
type PricingView struct {
	Current          Terms         `json:"current"`
	StripeCustomerID string        `json:"stripe_customer_id,omitempty"`
	Changes          []PriceChange `json:"changes"`
}

// Pricing returns a client's pricing as the API shows it.
func (s *Service) Pricing(ctx context.Context, clientID string) (PricingView, error) {
	cp, err := s.clientPricing(ctx, clientID)
	if err != nil {
		return PricingView{}, err
	}
	plans, err := s.planMap(ctx)
	if err != nil {
		return PricingView{}, err
	}
	return s.viewOf(cp, plans), nil
}

func (s *Service) viewOf(cp ClientPricing, plans map[string]Plan) PricingView {
	v := PricingView{StripeCustomerID: cp.StripeCustomerID, Changes: cp.Changes}
	if v.Changes == nil {
		v.Changes = []PriceChange{}
	}
	v.Current, _ = termsFor(cp, s.now().In(s.location()).Format("2006-01"), plans) // a custom plan without a price shows 0
	return v
}

// SetPricing applies a PricingPatch to a client by actor. A price change
// needs effective_month, which must not be a month already billed (nor
// before one): prices never change a billed month. A plan without a price
// of its own (Enterprise) needs unit_price.
func (s *Service) SetPricing(ctx context.Context, clientID, actor string, p PricingPatch) (PricingView, error) {
	if s.Settings == nil {
		return PricingView{}, errs.E(errs.Internal, "billing settings are not configured")
	}
	if p.Empty() {
		return PricingView{}, errs.E(errs.Invalid, "nothing to change")
	}
	if _, err := s.Clients.GetClient(ctx, clientID); err != nil {
		return PricingView{}, err
	}
	plans, err := s.planMap(ctx)
	if err != nil {
		return PricingView{}, err
	}
	priced := p.PlanID != nil || p.UnitPrice != nil
	if priced && p.EffectiveMonth == nil {
		return PricingView{}, errs.E(errs.Invalid, "effective_month (YYYY-MM) is required with plan_id or unit_price")
	}
	if !priced && p.EffectiveMonth != nil {
		return PricingView{}, errs.E(errs.Invalid, "effective_month needs plan_id or unit_price")
	}
	if p.UnitPrice != nil && (*p.UnitPrice < 0 || *p.UnitPrice > maxMoney) {
		return PricingView{}, errs.E(errs.Invalid, "unit_price is out of range")
	}
	if p.PlanID != nil {
		if _, ok := plans[*p.PlanID]; !ok {
			return PricingView{}, errs.E(errs.Invalid, "plan_id %q is not on the price list", *p.PlanID)
		}
	}
	if p.StripeCustomerID != nil && *p.StripeCustomerID != "" && !stripeCustomerPattern.MatchString(*p.StripeCustomerID) {
		return PricingView{}, errs.E(errs.Invalid, "stripe_customer_id must be a Stripe customer id (cus_…)")
	}
	if priced {
		if err := s.checkOpen(ctx, *p.EffectiveMonth); err != nil {
			return PricingView{}, err
		}
	}
	now := s.now()
	cp, err := s.Settings.UpdateClientPricing(ctx, clientID, func(cp *ClientPricing) error {
		cp.ClientID = clientID
		if p.StripeCustomerID != nil {
			cp.StripeCustomerID = *p.StripeCustomerID
		}
		if !priced {
			return nil
		}
		month := *p.EffectiveMonth
		// The change starts from the terms in force that month, so that a
		// price alone keeps the plan and a plan alone drops a custom price.
		prev := PriceChange{PlanID: DefaultPlanID}
		for _, c := range cp.Changes {
			if c.EffectiveMonth <= month {
				prev = c
			}
		}
		ch := PriceChange{EffectiveMonth: month, PlanID: prev.PlanID, UnitPrice: prev.UnitPrice, SetBy: actor, SetAt: now}
		if p.PlanID != nil {
			ch.PlanID, ch.UnitPrice = *p.PlanID, nil
		}
		if p.UnitPrice != nil {
			v := *p.UnitPrice
			ch.UnitPrice = &v
		}
		if ch.UnitPrice == nil && plans[ch.PlanID].UnitPrice == nil {
			return errs.E(errs.Invalid, "plan %q has no list price: send unit_price", ch.PlanID)
		}
		kept := cp.Changes[:0:0]
		for _, c := range cp.Changes {
			if c.EffectiveMonth != month {
				kept = append(kept, c)
			}
		}
		kept = append(kept, ch)
		sort.Slice(kept, func(i, j int) bool { return kept[i].EffectiveMonth < kept[j].EffectiveMonth })
		if len(kept) > MaxPriceChanges {
			return errs.E(errs.Invalid, "a client keeps at most %d price changes", MaxPriceChanges)
		}
		cp.Changes = kept
		return nil
	})
	if err != nil {
		return PricingView{}, errs.Wrap(err, errs.CodeOf(err), "set the pricing of client %s", clientID)
	}
	return s.viewOf(cp, plans), nil
}

// SetPropertyStatus makes a client's property active or inactive from
// month on. An inactive property is neither billed nor carried forward. The
// month must not be billed already (nor precede a billed month).
func (s *Service) SetPropertyStatus(ctx context.Context, clientID, propertyID, actor, status, month string) (PropertyLifecycle, error) {
	if s.Settings == nil {
		return PropertyLifecycle{}, errs.E(errs.Internal, "billing settings are not configured")
	}
	if status != PropertyActive && status != PropertyInactive {
		return PropertyLifecycle{}, errs.E(errs.Invalid, "status must be active or inactive")
	}
	if month == "" {
		return PropertyLifecycle{}, errs.E(errs.Invalid, "effective_month (YYYY-MM) is required")
	}
	if err := s.checkOpen(ctx, month); err != nil {
		return PropertyLifecycle{}, err
	}
	now := s.now()
	l, err := s.Settings.UpdateLifecycle(ctx, clientID, propertyID, func(l *PropertyLifecycle) error {
		l.PropertyID = propertyID
		kept := l.Changes[:0:0]
		for _, c := range l.Changes {
			if c.EffectiveMonth != month {
				kept = append(kept, c)
			}
		}
		kept = append(kept, StatusChange{EffectiveMonth: month, Status: status, SetBy: actor, SetAt: now})
		sort.Slice(kept, func(i, j int) bool { return kept[i].EffectiveMonth < kept[j].EffectiveMonth })
		if len(kept) > MaxStatusChanges {
			return errs.E(errs.Invalid, "a property keeps at most %d status changes", MaxStatusChanges)
		}
		l.Changes = kept
		return nil
	})
	if err != nil {
		return PropertyLifecycle{}, errs.Wrap(err, errs.CodeOf(err), "set the status of property %s", propertyID)
	}
	return l, nil
}

// maxSettingsMonths bounds how far from now an effective month may be.
const maxSettingsMonths = 36

// checkOpen refuses an effective month that is malformed, too far from
// now, or at or before a month with a completed run: a billed month is
// never changed by a later setting.
func (s *Service) checkOpen(ctx context.Context, month string) error {
	m, err := ParseMonth(month)
	if err != nil {
		return errs.E(errs.Invalid, "effective_month must be YYYY-MM")
	}
	cur, _ := ParseMonth(s.now().In(s.location()).Format("2006-01"))
	if m.Before(cur.AddDate(0, -maxSettingsMonths, 0)) || m.After(cur.AddDate(0, maxSettingsMonths, 0)) {
		return errs.E(errs.Invalid, "effective_month must be within %d months of now", maxSettingsMonths)
	}
	for t := m; t.Before(cur); t = t.AddDate(0, 1, 0) {
		mm := t.Format("2006-01")
		rec, err := s.Runs.Get(ctx, mm)
		if errs.Is(err, errs.NotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if rec.CompletedRunID != "" {
			return errs.E(errs.Conflict, "%s is already billed; a change may take effect from %s at the earliest",
				mm, t.AddDate(0, 1, 0).Format("2006-01"))
		}
	}
	return nil
}

func (s *Service) planMap(ctx context.Context) (map[string]Plan, error) {
	plans, err := s.Plans(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]Plan, len(plans))
	for _, p := range plans {
		m[p.PlanID] = p
	}
	return m, nil
}

func (s *Service) clientPricing(ctx context.Context, clientID string) (ClientPricing, error) {
	if err := tenancy.ValidateClientID(clientID); err != nil {
		return ClientPricing{}, errs.E(errs.NotFound, "client not found")
	}
	if s.Settings == nil {
		return ClientPricing{ClientID: clientID}, nil
	}
	cp, err := s.Settings.ClientPricing(ctx, clientID)
	if err != nil {
		return ClientPricing{}, errs.Wrap(err, errs.CodeOf(err), "read the pricing of client %s", clientID)
	}
	return cp, nil
}

// termsFor resolves what cp pays in month under plans: the latest change
// effective at or before month (else DefaultPlanID), its custom price or
// its plan's.
func termsFor(cp ClientPricing, month string, plans map[string]Plan) (Terms, error) {
	ch := PriceChange{PlanID: DefaultPlanID}
	for _, c := range cp.Changes {
		if c.EffectiveMonth <= month {
			ch = c
		}
	}
	p, ok := plans[ch.PlanID]
	if !ok {
		return Terms{PlanID: ch.PlanID}, errs.E(errs.Invalid, "client %s is on plan %q, which is not on the price list", cp.ClientID, ch.PlanID)
	}
	t := Terms{PlanID: p.PlanID, Currency: p.Currency, MinimumMonthly: p.MinimumMonthly}
	switch {
	case ch.UnitPrice != nil:
		t.UnitPrice = *ch.UnitPrice
	case p.UnitPrice != nil:
		t.UnitPrice = *p.UnitPrice
	default:
		return t, errs.E(errs.Invalid, "client %s is on plan %q, which has no list price, and has no unit price of its own", cp.ClientID, p.PlanID)
	}
	return t, nil
}

// amountOf is what a client owes for units on terms: units × unit price,
// raised to the minimum monthly charge while the client is active (a
// suspended client pays for what it has, no minimum).
func amountOf(units int64, t Terms, clientStatus string) Money {
	a := Money(units) * t.UnitPrice
	if clientStatus == string(tenancy.Active) && a < t.MinimumMonthly {
		a = t.MinimumMonthly
	}
	return a
}

// PropertyStatuses returns the status this month (in the billing time zone)
// of each of a client's properties, given the date of each one's latest
// roll: inactive when set so for the month, stale when that roll is older
// than the carry-forward limit (the property would not be billed), else
// active.
func (s *Service) PropertyStatuses(ctx context.Context, clientID string, lastRoll map[string]time.Time) (map[string]string, error) {
	var lifecycles []PropertyLifecycle
	if s.Settings != nil {
		var err error
		if lifecycles, err = s.Settings.Lifecycles(ctx, clientID); err != nil {
			return nil, errs.Wrap(err, errs.CodeOf(err), "read the property lifecycle of client %s", clientID)
		}
	}
	start, _ := ParseMonth(s.now().In(s.location()).Format("2006-01"))
	props := make([]PropertyRoll, 0, len(lastRoll))
	for id, at := range lastRoll {
		props = append(props, PropertyRoll{PropertyID: id, AsOf: at})
	}
	b := Classify(props, lifecycles, start, s.carryForward())
	out := make(map[string]string, len(lastRoll))
	for id := range lastRoll {
		out[id] = PropertyActive
	}
	for _, id := range b.Stale {
		out[id] = PropertyStale
	}
	for _, id := range b.Inactive {
		out[id] = PropertyInactive
	}
	return out, nil
}
