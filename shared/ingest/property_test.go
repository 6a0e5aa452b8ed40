package ingest

import (
	"strings"
	"testing"

	"rentroll.ai/rentroll/shared/parse"
)

func TestNotePropertyMismatch(t *testing.T) {
	many := []string{"a1", "a2", "a3", "a4", "a5", "a6", "a7"}
	tests := []struct {
		name      string
		requested string
		props     []string
		want      string // "" = no warning
	}{
		{"no property asked for", "", []string{"mc01"}, ""},
		{"the file names none", "cr02", nil, ""},
		{"the file agrees", "cr02", []string{"cr02"}, ""},
		{"one of the file's properties", "oak02", []string{"oak01", "oak02"}, ""},
		{"the file disagrees", "cr02", []string{"mc01"}, "the upload names property cr02 but the file names mc01; the file's own property ids were used"},
		{"many properties are cut", "zz", many, "names a1, a2, a3, a4, a5; the file's own property ids were used (and 2 more)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &parse.Report{Properties: tc.props, Warnings: []parse.Issue{{Row: 3, Code: "missing_sqft"}}, WarningCount: 1}
			notePropertyMismatch(r, tc.requested)
			if tc.want == "" {
				if r.WarningCount != 1 || len(r.Warnings) != 1 {
					t.Errorf("warnings %v (count %d), want the one there was", r.Warnings, r.WarningCount)
				}
				return
			}
			if r.WarningCount != 2 || len(r.Warnings) != 2 {
				t.Fatalf("warnings %v (count %d), want 2", r.Warnings, r.WarningCount)
			}
			got := r.Warnings[0]
			if got.Code != "property_mismatch" || got.Row != 0 || got.Column != "property_id" || !strings.Contains(got.Message, tc.want) {
				t.Errorf("first warning %+v, want property_mismatch containing %q", got, tc.want)
			}
		})
	}
}
