package firestore

import (
	"context"
	"time"

	"cloud.google.com/go/firestore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"rentroll.ai/rentroll/shared/chargecodes"
)

// chargeCodesDoc holds a client's charge-code overrides in
// clients/{cid}/settings/charge_codes: one document, since a client has at
// most chargecodes.MaxCodes of them (well under Firestore's 1 MiB).
type chargeCodesDoc struct {
	Codes     []chargeCodeEntry `firestore:"charge_codes"`
	UpdatedAt time.Time         `firestore:"updated_at"`
}

type chargeCodeEntry struct {
	Code     string `firestore:"code"`
	Category string `firestore:"category"`
}

var _ chargecodes.Store = (*Store)(nil)

func (s *Store) chargeCodesRef(clientID string) *firestore.DocumentRef {
	return s.clientDoc(clientID).Collection("settings").Doc("charge_codes")
}

// ChargeCodes implements chargecodes.Store; a client without overrides has
// none (not an error).
func (s *Store) ChargeCodes(ctx context.Context, clientID string) ([]chargecodes.Override, error) {
	snap, err := s.chargeCodesRef(clientID).Get(ctx)
	if status.Code(err) == codes.NotFound {
		return []chargecodes.Override{}, nil
	}
	if err != nil {
		return nil, mapErr(err, "charge codes of client %s", clientID)
	}
	var d chargeCodesDoc
	if err := snap.DataTo(&d); err != nil {
		return nil, mapErr(err, "decode charge codes of client %s", clientID)
	}
	out := make([]chargecodes.Override, len(d.Codes))
	for i, c := range d.Codes {
		out[i] = chargecodes.Override{Code: c.Code, Category: c.Category}
	}
	return out, nil
}

// PutChargeCodes implements chargecodes.Store: the document is replaced.
func (s *Store) PutChargeCodes(ctx context.Context, clientID string, codes []chargecodes.Override) error {
	d := chargeCodesDoc{Codes: make([]chargeCodeEntry, len(codes)), UpdatedAt: time.Now().UTC()}
	for i, c := range codes {
		d.Codes[i] = chargeCodeEntry{Code: c.Code, Category: c.Category}
	}
	_, err := s.chargeCodesRef(clientID).Set(ctx, d)
	return mapErr(err, "save charge codes of client %s", clientID)
}
