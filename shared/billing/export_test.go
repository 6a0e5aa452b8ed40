package billing_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/config"
	"rentroll.ai/rentroll/shared/errs"
)

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestEscapeCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{`=HYPERLINK("http://x","y")`, `'=HYPERLINK("http://x","y")`},
		{"+1", "'+1"},
		{"-2", "'-2"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"", ""},
		{"Acme = Homes", "Acme = Homes"},
		{"0", "0"},
		{"a-b", "a-b"},
	}
	for _, tt := range tests {
		if got := billing.EscapeCell(tt.in); got != tt.want {
			t.Errorf("EscapeCell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestRenderCSV checks the exact bytes: formula escaping first, then RFC 4180
// quoting, CRLF records, embedded bytes kept.
func TestRenderCSV(t *testing.T) {
	row := func(id, name string) billing.UnitsRow {
		return billing.UnitsRow{ClientID: id, ClientName: name, Status: "active", Month: "2026-01", Units: 12, Properties: 2, CarriedForwardProperties: 1,
			PlanID: "pro", Currency: "USD", UnitPrice: 250, MinimumMonthly: 50000, Amount: 50000, StaleProperties: []string{"P9"}}
	}
	tests := []struct {
		name string
		row  billing.UnitsRow
		want string // the data record
	}{
		{"plain", row("acme", "Acme Homes"), "acme,Acme Homes,active,2026-01,12,2,1,r1,pro,USD,2.50,500.00,500.00,P9\r\n"},
		{"hyperlink", row("c1", `=HYPERLINK("http://evil","x")`), `c1,"'=HYPERLINK(""http://evil"",""x"")",active,2026-01,12,2,1,r1,pro,USD,2.50,500.00,500.00,P9` + "\r\n"},
		{"plus", row("c1", "+1"), "c1,'+1,active,2026-01,12,2,1,r1,pro,USD,2.50,500.00,500.00,P9\r\n"},
		{"minus", row("c1", "-2"), "c1,'-2,active,2026-01,12,2,1,r1,pro,USD,2.50,500.00,500.00,P9\r\n"},
		{"at", row("c1", "@SUM(A1:A2)"), "c1,'@SUM(A1:A2),active,2026-01,12,2,1,r1,pro,USD,2.50,500.00,500.00,P9\r\n"},
		{"tab", row("c1", "\tTab"), "c1,\"'\tTab\",active,2026-01,12,2,1,r1,pro,USD,2.50,500.00,500.00,P9\r\n"},
		{"semicolon formula", row("c1", "Acme;=HYPERLINK(1)"), "c1,\"Acme;=HYPERLINK(1)\",active,2026-01,12,2,1,r1,pro,USD,2.50,500.00,500.00,P9\r\n"},
		{"cr", row("c1", "\rCR"), "c1,\"'\rCR\",active,2026-01,12,2,1,r1,pro,USD,2.50,500.00,500.00,P9\r\n"},
		{"quotes", row("c1", `Say "hi"`), `c1,"Say ""hi""",active,2026-01,12,2,1,r1,pro,USD,2.50,500.00,500.00,P9` + "\r\n"},
		{"comma", row("c1", "A, B"), `c1,"A, B",active,2026-01,12,2,1,r1,pro,USD,2.50,500.00,500.00,P9` + "\r\n"},
		{"newline", row("c1", "A\nB"), "c1,\"A\nB\",active,2026-01,12,2,1,r1,pro,USD,2.50,500.00,500.00,P9\r\n"},
		{"formula with comma", row("c1", "=1+2,3"), `c1,"'=1+2,3",active,2026-01,12,2,1,r1,pro,USD,2.50,500.00,500.00,P9` + "\r\n"},
		{"leading space", row("c1", " x"), `c1," x",active,2026-01,12,2,1,r1,pro,USD,2.50,500.00,500.00,P9` + "\r\n"},
	}
	const header = "client_id,client_name,status,month,units,properties,carried_forward_properties,run_id," +
		"plan_id,currency,unit_price,minimum_monthly,amount,stale_properties\r\n"
	for _, tt := range tests {
		got := string(billing.RenderCSV([]billing.UnitsRow{tt.row}, "r1"))
		if got != header+tt.want {
			t.Errorf("%s: RenderCSV =\n%q\nwant\n%q", tt.name, got, header+tt.want)
		}
	}
	// Several stale properties share one cell; an id that looks like a
	// formula is escaped like any cell.
	multi := row("c1", "x")
	multi.StaleProperties = []string{"A", "B"}
	neg := row("c2", "y")
	neg.StaleProperties = []string{"-1", "P2"}
	if got, want := string(billing.RenderCSV([]billing.UnitsRow{multi, neg}, "r1")), header+
		"c1,x,active,2026-01,12,2,1,r1,pro,USD,2.50,500.00,500.00,\"A;B\"\r\n"+
		"c2,y,active,2026-01,12,2,1,r1,pro,USD,2.50,500.00,500.00,\"'-1;P2\"\r\n"; got != want {
		t.Errorf("stale lists: RenderCSV =\n%q\nwant\n%q", got, want)
	}
	if got := string(billing.RenderCSV(nil, "r1")); got != header {
		t.Errorf("RenderCSV(no rows) = %q, want the header only", got)
	}
	// A run id is escaped too, should one ever start with a sign.
	if got := string(billing.RenderCSV([]billing.UnitsRow{row("c1", "x")}, "-r")); got != header+"c1,x,active,2026-01,12,2,1,'-r,pro,USD,2.50,500.00,500.00,P9\r\n" {
		t.Errorf("run id not escaped: %q", got)
	}
}

func TestParseMonth(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		code errs.Code
	}{
		{"2026-01", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), ""},
		{"2025-12", time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), ""},
		{"2026-13", time.Time{}, errs.Invalid},
		{"2026-00", time.Time{}, errs.Invalid},
		{"2026-1", time.Time{}, errs.Invalid},
		{"1999-12", time.Time{}, errs.Invalid},
		{"2026-01 ", time.Time{}, errs.Invalid},
		{"", time.Time{}, errs.Invalid},
	}
	for _, tt := range tests {
		got, err := billing.ParseMonth(tt.in)
		if errs.CodeOf(err) != tt.code || !got.Equal(tt.want) {
			t.Errorf("ParseMonth(%q) = %v, %v; want %v, %q", tt.in, got, err, tt.want, tt.code)
		}
	}
}

// TestNextRunFollowsTheSchedule checks that another RENTROLL_BILLING_SCHEDULE
// is honoured, and a malformed one refused.
func TestNextRunFollowsTheSchedule(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no tzdata: %v", err)
	}
	tests := []struct {
		spec string
		now  time.Time
		next time.Time
	}{
		{"30 2 15 * *", time.Date(2026, 3, 1, 0, 0, 0, 0, ny), time.Date(2026, 3, 15, 2, 30, 0, 0, ny)},
		{"30 2 15 * *", time.Date(2026, 3, 15, 2, 30, 0, 0, ny), time.Date(2026, 4, 15, 2, 30, 0, 0, ny)},
		{"0 9 * * 1", time.Date(2026, 12, 2, 12, 0, 0, 0, ny), time.Date(2026, 12, 7, 9, 0, 0, 0, ny)}, // Mondays
		{"0 0 1 1 *", time.Date(2026, 6, 1, 0, 0, 0, 0, ny), time.Date(2027, 1, 1, 0, 0, 0, 0, ny)},
	}
	for _, tt := range tests {
		got, err := billing.NextRun(tt.spec, tt.now, ny)
		if err != nil || !got.Equal(tt.next) {
			t.Errorf("NextRun(%q, %v) = %v, %v; want %v", tt.spec, tt.now, got, err, tt.next)
		}
	}
	for _, bad := range []string{"", "every month", "0 6 1 *", "61 6 1 * *"} {
		if _, err := billing.NextRun(bad, time.Now(), ny); errs.CodeOf(err) != errs.Invalid {
			t.Errorf("NextRun(%q): err = %v, want invalid", bad, err)
		}
	}
}

func TestPreviousMonthAndNextRun(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no tzdata: %v", err)
	}
	tests := []struct {
		name     string
		now      time.Time
		loc      *time.Location
		previous string
		next     time.Time
	}{
		// 03:00 UTC on Jan 1 is still Dec 31 in New York.
		{"new year in UTC, not yet in NY", time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC), ny, "2025-11",
			time.Date(2026, 1, 1, 6, 0, 0, 0, ny)},
		{"new year UTC", time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC), time.UTC, "2025-12",
			time.Date(2026, 1, 1, 6, 0, 0, 0, time.UTC)},
		{"exactly at the run", time.Date(2026, 3, 1, 6, 0, 0, 0, ny), ny, "2026-02",
			time.Date(2026, 4, 1, 6, 0, 0, 0, ny)},
		{"just before", time.Date(2026, 3, 1, 5, 59, 59, 0, ny), ny, "2026-02",
			time.Date(2026, 3, 1, 6, 0, 0, 0, ny)},
		{"mid month", time.Date(2026, 11, 15, 12, 0, 0, 0, ny), ny, "2026-10",
			time.Date(2026, 12, 1, 6, 0, 0, 0, ny)},
		{"december rolls the year", time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), nil, "2026-11",
			time.Date(2027, 1, 1, 6, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		if got := billing.PreviousMonth(tt.now, tt.loc); got != tt.previous {
			t.Errorf("%s: PreviousMonth = %s, want %s", tt.name, got, tt.previous)
		}
		if got, err := billing.NextRun(config.DefaultBillingSchedule, tt.now, tt.loc); err != nil || !got.Equal(tt.next) {
			t.Errorf("%s: NextRun = %v, %v; want %v", tt.name, got, err, tt.next)
		}
	}
	// Across a year of runs in NY, each is 06:00 local on the 1st (DST or not).
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, ny)
	for i := range 12 {
		at, err = billing.NextRun(config.DefaultBillingSchedule, at, ny)
		if err != nil {
			t.Fatal(err)
		}
		if l := at.In(ny); l.Day() != 1 || l.Hour() != 6 || l.Minute() != 0 || int(l.Month()) != i+1 {
			t.Errorf("run %d at %v", i, l)
		}
	}
}
