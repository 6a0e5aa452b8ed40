// Package bqcheck drives the domain services through every statement they
// send the warehouse, with representative parameters, so that `rentroll
// bigquery check` can dry-run each of them against a real BigQuery project
// (shared/bigquery.Checker). The statements are not copied here: the services
// themselves build and send them, so the check cannot drift from production.
// The billing service runs on small in-memory stores (stores.go) for what it
// keeps outside the warehouse: run records, the client list, the export.
package bqcheck

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"rentroll.ai/rentroll/shared/analytics"
	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/warehouse"
)

// Services are the domain services the steps call, all on the warehouse
// under check.
type Services struct {
	Analytics *analytics.Service
	Billing   *billing.Service
}

// Step is one domain call the check makes.
type Step struct {
	Name string
	Run  func(ctx context.Context, s Services) error
}

// Steps returns the domain calls that, between them, send every analytics
// statement (reads, the floorplan writes), the stored-summary MERGE and its
// read, and every billing statement (the unit count, the read of a
// completed run, the cleanup of superseded rows, a client's billing
// history), for client clientID on the day asOf. A property filter is set
// where the SQL has a branch for it, so both forms are sent. The billing
// steps run in order on one set of stores: the first run completes the
// month that the later steps read.
func Steps(clientID string, asOf time.Time) []Step {
	c := tenancy.Client{ID: clientID, Name: clientID, Status: tenancy.Active, Dataset: tenancy.DatasetName(clientID)}
	month := analytics.MonthOf(asOf)
	from := analytics.MonthOf(asOf.AddDate(0, -11, 0))
	billed := billing.PreviousMonth(asOf, time.UTC)
	const prop = "check-property"
	return []Step{
		{"analytics.summary", func(ctx context.Context, s Services) error {
			_, err := s.Analytics.Summary(ctx, clientID, analytics.SummaryQuery{AsOf: asOf})
			return err
		}},
		{"analytics.summary by property", func(ctx context.Context, s Services) error {
			_, err := s.Analytics.Summary(ctx, clientID, analytics.SummaryQuery{AsOf: asOf, PropertyID: prop})
			return err
		}},
		{"analytics.expirations", func(ctx context.Context, s Services) error {
			_, err := s.Analytics.Expirations(ctx, clientID, analytics.ExpirationsQuery{From: month, Months: 12, PropertyID: prop})
			return err
		}},
		{"analytics.trend", func(ctx context.Context, s Services) error {
			_, err := s.Analytics.Trend(ctx, clientID, analytics.TrendQuery{From: from, To: month, PropertyID: prop})
			return err
		}},
		{"analytics.properties", func(ctx context.Context, s Services) error {
			_, err := s.Analytics.Properties(ctx, clientID)
			return err
		}},
		{"analytics.competition", func(ctx context.Context, s Services) error {
			_, err := s.Analytics.Competition(ctx, clientID, analytics.CompetitionQuery{AsOf: asOf, PropertyID: prop})
			return err
		}},
		{"analytics.changes", func(ctx context.Context, s Services) error {
			_, err := s.Analytics.Changes(ctx, clientID, analytics.ChangesQuery{PropertyID: prop, From: asOf.AddDate(0, -1, 0), To: asOf})
			return err
		}},
		{"analytics.floorplans", func(ctx context.Context, s Services) error {
			_, err := s.Analytics.Floorplans(ctx, clientID, prop)
			return err
		}},
		{"analytics.put floorplans (DELETE, INSERT)", func(ctx context.Context, s Services) error {
			beds, baths, sqft := 2.0, 1.5, int64(950)
			_, err := s.Analytics.PutFloorplans(ctx, clientID, prop, "bigquery-check", []analytics.Floorplan{
				{Code: "B2", Beds: &beds, Baths: &baths, Sqft: &sqft},
			})
			return err
		}},
		{"analytics.all clients summary", func(ctx context.Context, s Services) error {
			_, err := s.Analytics.AllClientsSummary(ctx, []tenancy.Client{c})
			return err
		}},
		{"analytics.refresh stored summary (MERGE)", func(ctx context.Context, s Services) error {
			return s.Analytics.RefreshClientSummary(ctx, c)
		}},
		{"analytics.stored summary", func(ctx context.Context, s Services) error {
			_, err := s.Analytics.StoredSummary(ctx, []tenancy.Client{c})
			return err
		}},
		{"billing.run (unit count, cleanup)", func(ctx context.Context, s Services) error {
			_, err := s.Billing.Run(ctx, billed, "bigquery-check")
			return err
		}},
		{"billing.rerun (read the completed run, unit count, cleanup)", func(ctx context.Context, s Services) error {
			_, err := s.Billing.Run(ctx, billed, "bigquery-check")
			return err
		}},
		{"billing.usage (read the completed run)", func(ctx context.Context, s Services) error {
			_, err := s.Billing.Usage(ctx, billed)
			return err
		}},
		{"billing.client units (billing history)", func(ctx context.Context, s Services) error {
			_, err := s.Billing.ClientUnits(ctx, clientID, billed, billed)
			return err
		}},
	}
}

// Run makes every step on w (a dry-running warehouse in production use) and
// returns the names of the steps whose domain call failed before or after
// its statements were sent, with the errors.
func Run(ctx context.Context, w warehouse.Warehouse, log *slog.Logger, clientID string, asOf time.Time) []error {
	now := func() time.Time { return asOf }
	c := tenancy.Client{ID: clientID, Name: clientID, Status: tenancy.Active, Dataset: tenancy.DatasetName(clientID)}
	s := Services{
		Analytics: &analytics.Service{W: w, Log: log, Now: now},
		Billing: &billing.Service{
			Warehouse: w, Clients: clientList{c}, Runs: newRuns(), Objects: newObjects(),
			FinanceBucket: "bigquery-check", Now: now, Log: log, Location: time.UTC,
		},
	}
	var failed []error
	for _, st := range Steps(clientID, asOf) {
		if err := st.Run(ctx, s); err != nil {
			failed = append(failed, fmt.Errorf("%s: %w", st.Name, err))
		}
	}
	return failed
}
