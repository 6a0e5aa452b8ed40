package firestore

import (
	"context"
	"sort"

	"cloud.google.com/go/firestore"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
)

// Where the billing settings live: the price list in one platform-wide
// document and a client's pricing in clients/{cid}/billing/pricing, both in
// the registry database (only Admin sets prices, and the pricing names the
// client's Stripe customer); each property's lifecycle in
// clients/{cid}/property_lifecycle/p-{pid} of the operational database,
// because client admins change it through the Analytics function (the
// prefix keeps ids such as "." or "__x__", which Firestore reserves, usable).
const (
	billingConfigCollection = "billing_config"
	plansDoc                = "plans"
	clientBillingCollection = "billing"
	pricingDoc              = "pricing"
	lifecycleCollection     = "property_lifecycle"
	lifecycleDocPrefix      = "p-"
)

// Settings is the Firestore billing.Settings, over two databases (above).
type Settings struct {
	c   *firestore.Client // the registry database: price list, client pricing
	ops *firestore.Client // the operational database: property lifecycles
}

var _ billing.Settings = (*Settings)(nil)

// NewSettings returns Settings on a client of the registry database and one
// of the operational database. The clients are the caller's to close.
func NewSettings(registry, operational *firestore.Client) *Settings {
	return &Settings{c: registry, ops: operational}
}

// planList is the stored price list document.
type planList struct {
	Plans []billing.Plan `firestore:"plans"`
}

// Plans implements billing.Settings.
func (s *Settings) Plans(ctx context.Context) ([]billing.Plan, bool, error) {
	snap, err := s.c.Collection(billingConfigCollection).Doc(plansDoc).Get(ctx)
	if status.Code(err) == codes.NotFound {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, mapErr(err, "price list")
	}
	var pl planList
	if err := snap.DataTo(&pl); err != nil {
		return nil, false, errs.Wrap(err, errs.Internal, "decode the price list")
	}
	return pl.Plans, true, nil
}

// PutPlans implements billing.Settings.
func (s *Settings) PutPlans(ctx context.Context, plans []billing.Plan) error {
	if _, err := s.c.Collection(billingConfigCollection).Doc(plansDoc).Set(ctx, planList{Plans: plans}); err != nil {
		return mapErr(err, "store the price list")
	}
	return nil
}

func (s *Settings) pricingRef(clientID string) (*firestore.DocumentRef, error) {
	if err := tenancy.ValidateClientID(clientID); err != nil {
		return nil, errs.E(errs.NotFound, "client not found")
	}
	return s.c.Collection(clientsCollection).Doc(clientID).Collection(clientBillingCollection).Doc(pricingDoc), nil
}

func decodePricing(snap *firestore.DocumentSnapshot, clientID string) (billing.ClientPricing, error) {
	var cp billing.ClientPricing
	if err := snap.DataTo(&cp); err != nil {
		return cp, errs.Wrap(err, errs.Internal, "decode the pricing of client %s", clientID)
	}
	return normalizePricing(cp, clientID), nil
}

func normalizePricing(cp billing.ClientPricing, clientID string) billing.ClientPricing {
	cp.ClientID = clientID
	if cp.Changes == nil {
		cp.Changes = []billing.PriceChange{}
	}
	for i := range cp.Changes {
		cp.Changes[i].SetAt = normalizeTime(cp.Changes[i].SetAt)
	}
	return cp
}

// ClientPricing implements billing.Settings.
func (s *Settings) ClientPricing(ctx context.Context, clientID string) (billing.ClientPricing, error) {
	ref, err := s.pricingRef(clientID)
	if err != nil {
		return billing.ClientPricing{}, err
	}
	snap, err := ref.Get(ctx)
	if status.Code(err) == codes.NotFound {
		return normalizePricing(billing.ClientPricing{}, clientID), nil
	}
	if err != nil {
		return billing.ClientPricing{}, mapErr(err, "pricing of client %s", clientID)
	}
	return decodePricing(snap, clientID)
}

// UpdateClientPricing implements billing.Settings, in a transaction.
func (s *Settings) UpdateClientPricing(ctx context.Context, clientID string, fn func(*billing.ClientPricing) error) (billing.ClientPricing, error) {
	ref, err := s.pricingRef(clientID)
	if err != nil {
		return billing.ClientPricing{}, err
	}
	var out billing.ClientPricing
	err = s.c.RunTransaction(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		cp := normalizePricing(billing.ClientPricing{}, clientID)
		snap, err := tx.Get(ref)
		switch {
		case status.Code(err) == codes.NotFound:
		case err != nil:
			return mapErr(err, "pricing of client %s", clientID)
		default:
			if cp, err = decodePricing(snap, clientID); err != nil {
				return err
			}
		}
		if err := fn(&cp); err != nil {
			return err
		}
		out = normalizePricing(cp, clientID)
		return tx.Set(ref, out)
	}, firestore.MaxAttempts(txAttempts))
	if err != nil {
		return billing.ClientPricing{}, mapErr(err, "update the pricing of client %s", clientID)
	}
	return out, nil
}

func (s *Settings) lifecycles(clientID string) (*firestore.CollectionRef, error) {
	if err := tenancy.ValidateClientID(clientID); err != nil {
		return nil, errs.E(errs.NotFound, "client not found")
	}
	return s.ops.Collection(clientsCollection).Doc(clientID).Collection(lifecycleCollection), nil
}

func normalizeLifecycle(l billing.PropertyLifecycle, propertyID string) billing.PropertyLifecycle {
	l.PropertyID = propertyID
	if l.Changes == nil {
		l.Changes = []billing.StatusChange{}
	}
	for i := range l.Changes {
		l.Changes[i].SetAt = normalizeTime(l.Changes[i].SetAt)
	}
	return l
}

// maxLifecycles bounds the property documents read for one client.
const maxLifecycles = 10000

// Lifecycles implements billing.Settings.
func (s *Settings) Lifecycles(ctx context.Context, clientID string) ([]billing.PropertyLifecycle, error) {
	col, err := s.lifecycles(clientID)
	if err != nil {
		return nil, err
	}
	it := col.Limit(maxLifecycles).Documents(ctx)
	defer it.Stop()
	out := []billing.PropertyLifecycle{}
	for {
		snap, err := it.Next()
		if err == iterator.Done {
			break
		}
		if err != nil {
			return nil, mapErr(err, "property lifecycle of client %s", clientID)
		}
		var l billing.PropertyLifecycle
		if err := snap.DataTo(&l); err != nil {
			return nil, errs.Wrap(err, errs.Internal, "decode the lifecycle %s of client %s", snap.Ref.ID, clientID)
		}
		out = append(out, normalizeLifecycle(l, l.PropertyID))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PropertyID < out[j].PropertyID })
	return out, nil
}

// UpdateLifecycle implements billing.Settings, in a transaction.
func (s *Settings) UpdateLifecycle(ctx context.Context, clientID, propertyID string, fn func(*billing.PropertyLifecycle) error) (billing.PropertyLifecycle, error) {
	col, err := s.lifecycles(clientID)
	if err != nil {
		return billing.PropertyLifecycle{}, err
	}
	if propertyID == "" || len(propertyID) > 256 {
		return billing.PropertyLifecycle{}, errs.E(errs.Invalid, "property id must be 1 to 256 bytes")
	}
	ref := col.Doc(lifecycleDocPrefix + propertyID)
	var out billing.PropertyLifecycle
	err = s.ops.RunTransaction(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		l := normalizeLifecycle(billing.PropertyLifecycle{}, propertyID)
		snap, err := tx.Get(ref)
		switch {
		case status.Code(err) == codes.NotFound:
		case err != nil:
			return mapErr(err, "lifecycle of property %s", propertyID)
		default:
			if err := snap.DataTo(&l); err != nil {
				return errs.Wrap(err, errs.Internal, "decode the lifecycle of property %s", propertyID)
			}
			l = normalizeLifecycle(l, propertyID)
		}
		if err := fn(&l); err != nil {
			return err
		}
		out = normalizeLifecycle(l, propertyID)
		return tx.Set(ref, out)
	}, firestore.MaxAttempts(txAttempts))
	if err != nil {
		return billing.PropertyLifecycle{}, mapErr(err, "update the lifecycle of property %s", propertyID)
	}
	return out, nil
}
