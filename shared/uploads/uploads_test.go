package uploads

import (
	"strings"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/errs"
)

func TestRequestValidate(t *testing.T) {
	ok := Request{Kind: RentRoll, Filename: "roll.csv", ContentType: ContentTypeCSV, SizeBytes: 10}
	tests := []struct {
		name string
		mod  func(*Request)
		want errs.Code
	}{
		{"ok", func(*Request) {}, ""},
		{"xlsx", func(r *Request) { r.Filename, r.ContentType = "Roll March.XLSX", ContentTypeXLSX }, ""},
		{"competition", func(r *Request) { r.Kind = Competition }, ""},
		{"unicode name", func(r *Request) { r.Filename = "Résidence Élan.csv" }, ""},
		{"bad kind", func(r *Request) { r.Kind = "invoice" }, errs.Invalid},
		{"empty name", func(r *Request) { r.Filename = "" }, errs.Invalid},
		{"long name", func(r *Request) { r.Filename = strings.Repeat("a", 252) + ".csv" }, errs.Invalid},
		{"slash", func(r *Request) { r.Filename = "../x.csv" }, errs.Invalid},
		{"backslash", func(r *Request) { r.Filename = `a\b.csv` }, errs.Invalid},
		{"dotdot", func(r *Request) { r.Filename = "a..csv" }, errs.Invalid},
		{"control", func(r *Request) { r.Filename = "a\x00.csv" }, errs.Invalid},
		{"newline", func(r *Request) { r.Filename = "a\n.csv" }, errs.Invalid},
		{"bad utf8", func(r *Request) { r.Filename = "a\xff.csv" }, errs.Invalid},
		{"type mismatch", func(r *Request) { r.Filename = "roll.xlsx" }, errs.Invalid},
		{"pdf", func(r *Request) { r.Filename, r.ContentType = "a.pdf", "application/pdf" }, errs.Invalid},
		{"zero size", func(r *Request) { r.SizeBytes = 0 }, errs.Invalid},
		{"too big", func(r *Request) { r.SizeBytes = 101 }, errs.TooLarge},
		{"bad property", func(r *Request) { r.PropertyID = "a b" }, errs.Invalid},
		{"good property", func(r *Request) { r.PropertyID = "mc01" }, ""},
		{"as of", func(r *Request) { r.AsOf = "2026-03-31" }, ""},
		{"bad as of", func(r *Request) { r.AsOf = "03/31/2026" }, errs.Invalid},
	}
	for _, tt := range tests {
		r := ok
		tt.mod(&r)
		if got := errs.CodeOf(r.Validate(100)); got != tt.want {
			t.Errorf("%s: %q, want %q (%v)", tt.name, got, tt.want, r.Validate(100))
		}
	}
}

func TestObjectNames(t *testing.T) {
	id := NewID(time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC))
	if !ValidID(id) {
		t.Fatalf("NewID %q is not ValidID", id)
	}
	name := ObjectName("acme", RentRoll, id, "March roll.csv")
	ref, ok := ParseObjectName(name)
	if !ok || ref != (ObjectRef{ClientID: "acme", Kind: RentRoll, UploadID: id, Filename: "March roll.csv"}) {
		t.Errorf("ParseObjectName(%q) = %+v, %v", name, ref, ok)
	}
	for _, bad := range []string{
		"other/acme/rent_roll/" + id + "/a.csv",
		"clients/acme/rent_roll/" + id,
		"clients/ACME/rent_roll/" + id + "/a.csv",
		"clients/acme/invoice/" + id + "/a.csv",
		"clients/acme/rent_roll/not-an-id/a.csv",
		"clients/acme/rent_roll/" + id + "/sub/a.csv",
		ReportObject("acme", id),
	} {
		if _, ok := ParseObjectName(bad); ok {
			t.Errorf("ParseObjectName(%q) accepted", bad)
		}
	}
}

func TestDecodeObjectEvent(t *testing.T) {
	tests := []struct {
		name, data string
		gen, size  int64
		code       errs.Code
	}{
		{"strings", `{"bucket":"b","name":"n","generation":"1700000000000001","metageneration":"1","size":"42"}`, 1700000000000001, 42, ""},
		{"numbers", `{"bucket":"b","name":"n","generation":1700000000000001,"metageneration":1,"size":42}`, 1700000000000001, 42, ""},
		{"unknown fields", `{"bucket":"b","name":"n","generation":"7","size":"1","kind":"storage#object","extra":{"x":[1]}}`, 7, 1, ""},
		{"no generation", `{"bucket":"b","name":"n"}`, 0, 0, errs.Invalid},
		{"bad number", `{"bucket":"b","name":"n","generation":"x"}`, 0, 0, errs.Invalid},
		{"not json", `<xml/>`, 0, 0, errs.Invalid},
	}
	for _, tt := range tests {
		e, err := DecodeObjectEvent([]byte(tt.data))
		if errs.CodeOf(err) != tt.code {
			t.Errorf("%s: err %v, want %q", tt.name, err, tt.code)
			continue
		}
		if err == nil && (int64(e.Generation) != tt.gen || int64(e.Size) != tt.size) {
			t.Errorf("%s: got gen %d size %d", tt.name, e.Generation, e.Size)
		}
	}
	e, _ := DecodeObjectEvent([]byte(`{"bucket":"b","name":"clients/x","generation":"9"}`))
	if e.Key() != "b/clients/x#9" {
		t.Errorf("Key = %q", e.Key())
	}
}
