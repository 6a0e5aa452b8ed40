package analytics

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/warehouse"
)

// Limits of a floorplans PUT.
const (
	MaxFloorplans          = 200
	MaxFloorplanCodeLength = 64
	MaxFloorplanRooms      = 20
	MaxFloorplanSqft       = 100000
)

// Floorplans lists a property's floorplans: every code its latest roll
// uses, with the bedrooms and bathrooms it resolves to (stored, else the
// roll's, else read from the code), plus stored codes the roll no longer
// uses. Sqft is the stored area, else the roll's average for the code.
func (s *Service) Floorplans(ctx context.Context, clientID, propertyID string) (Floorplans, error) {
	ds, err := dataset(clientID)
	if err != nil {
		return Floorplans{}, err
	}
	if propertyID == "" {
		return Floorplans{}, errs.E(errs.Invalid, "property id is required")
	}
	params := map[string]any{}
	if _, err := propParam(params, propertyID); err != nil {
		return Floorplans{}, err
	}
	rows, err := s.query(ctx, "floorplans", statement(floorplansSQL, ds, "\n      AND property_id = @property_id", "property_id", false), params)
	if err != nil {
		return Floorplans{}, err
	}
	var rd resultReader
	stored := map[string]BedsBaths{}
	storedSqft := map[string]*int64{}
	roll := map[string][]RollBedsBaths{}
	sqft := map[string][2]int64{}
	for _, r := range rows {
		code := rd.str(r, "code")
		fp := BedsBaths{}
		if v, ok := rd.float(r, "beds"); ok {
			fp.Beds = &v
		}
		if v, ok := rd.float(r, "baths"); ok {
			fp.Baths = &v
		}
		if rd.str(r, "source") == "edited" {
			stored[code] = fp
			if rd.int(r, "sqft_n") > 0 {
				v := rd.int(r, "sum_sqft")
				storedSqft[code] = &v
			}
			continue
		}
		roll[code] = append(roll[code], RollBedsBaths{BedsBaths: fp, Units: rd.int(r, "cnt")})
		sq := sqft[code]
		sqft[code] = [2]int64{sq[0] + rd.int(r, "sum_sqft"), sq[1] + rd.int(r, "sqft_n")}
	}
	if rd.err != nil {
		return Floorplans{}, rd.err
	}
	out := Floorplans{PropertyID: propertyID, Floorplans: []Floorplan{}}
	codes := map[string]bool{}
	for c := range roll {
		codes[c] = true
	}
	for c := range stored {
		codes[c] = true
	}
	for code := range codes {
		fp, source := ResolveFloorplan(code, stored, roll[code])
		f := Floorplan{Code: code, Beds: fp.Beds, Baths: fp.Baths, Source: source}
		if source == "edited" {
			f.Sqft = storedSqft[code]
		} else if sq := sqft[code]; sq[1] > 0 {
			v := int64(math.Round(float64(sq[0]) / float64(sq[1])))
			f.Sqft = &v
		}
		out.Floorplans = append(out.Floorplans, f)
	}
	sort.Slice(out.Floorplans, func(i, j int) bool { return out.Floorplans[i].Code < out.Floorplans[j].Code })
	return out, nil
}

// ValidateFloorplans checks a PUT body: at most MaxFloorplans entries,
// distinct non-empty codes of at most MaxFloorplanCodeLength characters,
// bedrooms and bathrooms from 0 to MaxFloorplanRooms in halves, a positive
// area up to MaxFloorplanSqft.
func ValidateFloorplans(fps []Floorplan) error {
	if len(fps) > MaxFloorplans {
		return errs.E(errs.Invalid, "at most %d floorplans", MaxFloorplans)
	}
	seen := map[string]bool{}
	room := func(what string, p *float64, i int) error {
		if p == nil {
			return nil
		}
		if *p < 0 || *p > MaxFloorplanRooms || math.Mod(*p*2, 1) != 0 {
			return errs.E(errs.Invalid, "floorplans[%d].%s must be from 0 to %d in halves", i, what, MaxFloorplanRooms)
		}
		return nil
	}
	for i, f := range fps {
		code := strings.TrimSpace(f.Code)
		if code == "" || len(code) > MaxFloorplanCodeLength || code != f.Code {
			return errs.E(errs.Invalid, "floorplans[%d].code must be 1 to %d characters without surrounding spaces", i, MaxFloorplanCodeLength)
		}
		if seen[code] {
			return errs.E(errs.Invalid, "floorplans[%d].code %q is given twice", i, code)
		}
		seen[code] = true
		if err := room("beds", f.Beds, i); err != nil {
			return err
		}
		if err := room("baths", f.Baths, i); err != nil {
			return err
		}
		if f.Sqft != nil && (*f.Sqft <= 0 || *f.Sqft > MaxFloorplanSqft) {
			return errs.E(errs.Invalid, "floorplans[%d].sqft must be from 1 to %d", i, MaxFloorplanSqft)
		}
	}
	return nil
}

// PutFloorplans replaces a property's stored floorplans with fps (an empty
// list removes every edit, so the rolls' values apply again) and answers
// the floorplans as GET then lists them. actor is recorded as updated_by.
func (s *Service) PutFloorplans(ctx context.Context, clientID, propertyID, actor string, fps []Floorplan) (Floorplans, error) {
	ds, err := dataset(clientID)
	if err != nil {
		return Floorplans{}, err
	}
	if err := ValidatePropertyID(propertyID); err != nil || propertyID == "" {
		return Floorplans{}, errs.E(errs.Invalid, "property id must be 1 to %d characters of letters, digits, '.', '_' or '-'", MaxPropertyIDLength)
	}
	if err := ValidateFloorplans(fps); err != nil {
		return Floorplans{}, err
	}
	table := ds + "." + warehouse.TableFloorplans
	// Delete then insert: two statements, each atomic. A concurrent GET
	// between them sees the rolls' values, never a mix of two edits.
	if err := s.W.Exec(ctx, "DELETE FROM "+table+" WHERE property_id = @property_id", map[string]any{"property_id": propertyID}); err != nil {
		return Floorplans{}, fmt.Errorf("floorplans delete: %w", err)
	}
	if len(fps) > 0 {
		params := map[string]any{"client_id": clientID, "property_id": propertyID, "by": actor, "at": s.now()}
		var values []string
		for i, f := range fps {
			n := fmt.Sprint(i)
			params["code"+n] = f.Code
			params["beds"+n], params["has_beds"+n] = 0.0, f.Beds != nil
			if f.Beds != nil {
				params["beds"+n] = *f.Beds
			}
			params["baths"+n], params["has_baths"+n] = 0.0, f.Baths != nil
			if f.Baths != nil {
				params["baths"+n] = *f.Baths
			}
			params["sqft"+n], params["has_sqft"+n] = int64(0), f.Sqft != nil
			if f.Sqft != nil {
				params["sqft"+n] = *f.Sqft
			}
			values = append(values, fmt.Sprintf("(@client_id, @property_id, @code%[1]s, IF(@has_beds%[1]s, @beds%[1]s, NULL), "+
				"IF(@has_baths%[1]s, @baths%[1]s, NULL), IF(@has_sqft%[1]s, @sqft%[1]s, NULL), @by, @at)", n))
		}
		q := "INSERT INTO " + table + " (client_id, property_id, code, beds, baths, sqft, updated_by, updated_at) VALUES " +
			strings.Join(values, ", ")
		if err := s.W.Exec(ctx, q, params); err != nil {
			return Floorplans{}, fmt.Errorf("floorplans insert: %w", err)
		}
	}
	return s.Floorplans(ctx, clientID, propertyID)
}
