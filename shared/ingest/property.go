package ingest

import (
	"fmt"
	"slices"
	"strings"

	"rentroll.ai/rentroll/shared/parse"
)

// notePropertyMismatch warns when the upload request named a property but
// the file names its own, different ones: the request's property only fills
// in for a file that names none, so the rows load under the file's ids, and
// the user, who believed otherwise, must hear of it. The warning goes first,
// so no cut of the warning list can hide it.
func notePropertyMismatch(report *parse.Report, requested string) {
	if requested == "" || len(report.Properties) == 0 || slices.Contains(report.Properties, requested) {
		return
	}
	shown := report.Properties
	if len(shown) > 5 {
		shown = shown[:5]
	}
	msg := fmt.Sprintf("the upload names property %s but the file names %s; the file's own property ids were used",
		requested, strings.Join(shown, ", "))
	if len(report.Properties) > len(shown) {
		msg += fmt.Sprintf(" (and %d more)", len(report.Properties)-len(shown))
	}
	report.Warnings = append([]parse.Issue{{Row: 0, Column: "property_id", Code: "property_mismatch", Message: msg}}, report.Warnings...)
	report.WarningCount++
}
