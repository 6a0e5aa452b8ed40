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
// clients/{cid}/settings/charge_codes of the registry database (Admin writes
// them; Ingest reads them for every later load): one document, since a client has at
// most chargecodes.MaxCodes of them (well under Firestore's 1 MiB).
type chargeCodesDoc struct {
	Codes     []chargeCodeEntry `firestore:"charge_codes"`
	UpdatedAt time.Time         `firestore:"updated_at"`
}

type chargeCodeEntry struct {
	Code     string `firestore:"code"`
	Category string `firestore:"category"`
}

var _ chargecodes.Store = (*Registry)(nil)

func (s *Registry) chargeCodesRef(clientID string) *firestore.DocumentRef {
	return s.clientDoc(clientID).Collection("settings").Doc("charge_codes")
}

// ChargeCodes implements chargecodes.Store (and RegistryReader's read); a client without overrides has
// none (not an error).
func (s *Registry) ChargeCodes(ctx context.Context, clientID string) ([]chargecodes.Override, error) {
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
func (s *Registry) PutChargeCodes(ctx context.Context, clientID string, codes []chargecodes.Override) error {
	d := chargeCodesDoc{Codes: make([]chargeCodeEntry, len(codes)), UpdatedAt: time.Now().UTC()}
	for i, c := range codes {
		d.Codes[i] = chargeCodeEntry{Code: c.Code, Category: c.Category}
	}
	_, err := s.chargeCodesRef(clientID).Set(ctx, d)
	return mapErr(err, "save charge codes of client %s", clientID)
}

// ChargeCodes reads a client's charge-code overrides (chargecodes.Store's
// read, for Ingest).
func (v *RegistryReader) ChargeCodes(ctx context.Context, clientID string) ([]chargecodes.Override, error) {
	return v.r.ChargeCodes(ctx, clientID)
}
