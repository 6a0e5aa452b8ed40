// Package chargecodes keeps each client's overrides of the default
// charge-code table (docs/charge-codes.md): which category (rent, subsidy,
// concession, other) a code of the client's exports belongs to. Later rent
// roll uploads of the client are read with them. The package imports no
// cloud SDK; shared/firestore stores the overrides in production.
package chargecodes

import (
	"context"
	"slices"
	"strings"
	"sync"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/parse"
)

// Limits on one client's overrides: a property system has tens of codes,
// and the table is read on every upload.
const (
	MaxCodes    = 1000
	MaxCodeLen  = 64
	maxCodeDesc = "1-64 characters"
)

// Override assigns a category to a charge code.
type Override struct {
	Code     string `json:"code"`
	Category string `json:"category"`
}

// Reader reads a client's overrides: what Ingest, which only reads the
// registry, is given.
type Reader interface {
	// ChargeCodes returns the client's overrides (empty when none were set).
	ChargeCodes(ctx context.Context, clientID string) ([]Override, error)
}

// Store reads and replaces a client's overrides (the Admin function's view).
type Store interface {
	Reader
	// PutChargeCodes replaces the client's overrides.
	PutChargeCodes(ctx context.Context, clientID string, codes []Override) error
}

// Normalize validates a new set of overrides and returns it trimmed, sorted
// by code and without duplicates (a code given twice must agree). Codes
// compare as the parser compares them: case and spacing ignored.
func Normalize(in []Override) ([]Override, error) {
	if len(in) > MaxCodes {
		return nil, errs.E(errs.Invalid, "at most %d charge codes; got %d", MaxCodes, len(in))
	}
	seen := map[string]Override{}
	for i, o := range in {
		code := strings.Join(strings.Fields(o.Code), " ")
		if code == "" || len(code) > MaxCodeLen {
			return nil, errs.E(errs.Invalid, "charge_codes[%d].code must be %s", i, maxCodeDesc)
		}
		cat := strings.ToLower(strings.TrimSpace(o.Category))
		if !parse.ValidCategory(cat) {
			return nil, errs.E(errs.Invalid, "charge_codes[%d].category %q must be one of rent, subsidy, concession, other", i, o.Category)
		}
		k := strings.ToLower(code)
		if prev, ok := seen[k]; ok && prev.Category != cat {
			return nil, errs.E(errs.Invalid, "charge code %q is given twice with different categories", code)
		}
		seen[k] = Override{Code: code, Category: cat}
	}
	out := make([]Override, 0, len(seen))
	for _, o := range seen {
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b Override) int { return strings.Compare(strings.ToLower(a.Code), strings.ToLower(b.Code)) })
	return out, nil
}

// Table turns overrides into the form parse.Options.ChargeCodes takes.
func Table(codes []Override) map[string]string {
	if len(codes) == 0 {
		return nil
	}
	m := make(map[string]string, len(codes))
	for _, o := range codes {
		m[o.Code] = o.Category
	}
	return m
}

// Memory is an in-memory Store, for tests and tools.
type Memory struct {
	mu sync.Mutex
	m  map[string][]Override
}

// ChargeCodes implements Store.
func (s *Memory) ChargeCodes(_ context.Context, clientID string) ([]Override, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.m[clientID]), nil
}

// PutChargeCodes implements Store.
func (s *Memory) PutChargeCodes(_ context.Context, clientID string, codes []Override) error {
	if clientID == "" {
		return errs.E(errs.Invalid, "client id is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string][]Override{}
	}
	s.m[clientID] = slices.Clone(codes)
	return nil
}
