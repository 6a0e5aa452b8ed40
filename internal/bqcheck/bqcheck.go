// Package bqcheck drives the domain services through every statement they
// send the warehouse, with representative parameters, so that `rentroll
// bigquery check` can dry-run each of them against a real BigQuery project
// (shared/bigquery.Checker). The statements are not copied here: the services
// themselves build and send them, so the check cannot drift from production.
package bqcheck

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"rentroll.ai/rentroll/shared/analytics"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/warehouse"
)

// Step is one domain call the check makes.
type Step struct {
	Name string
	Run  func(ctx context.Context, s *analytics.Service) error
}

// Steps returns the domain calls that, between them, send every analytics
// statement (reads, the floorplan writes), the stored-summary MERGE and its
// read, for client clientID on
// the day asOf. A property filter is set where the SQL has a branch for it,
// so both forms are sent.
func Steps(clientID string, asOf time.Time) []Step {
	c := tenancy.Client{ID: clientID, Name: clientID, Status: tenancy.Active, Dataset: tenancy.DatasetName(clientID)}
	month := analytics.MonthOf(asOf)
	from := analytics.MonthOf(asOf.AddDate(0, -11, 0))
	const prop = "check-property"
	return []Step{
		{"analytics.summary", func(ctx context.Context, s *analytics.Service) error {
			_, err := s.Summary(ctx, clientID, analytics.SummaryQuery{AsOf: asOf})
			return err
		}},
		{"analytics.summary by property", func(ctx context.Context, s *analytics.Service) error {
			_, err := s.Summary(ctx, clientID, analytics.SummaryQuery{AsOf: asOf, PropertyID: prop})
			return err
		}},
		{"analytics.expirations", func(ctx context.Context, s *analytics.Service) error {
			_, err := s.Expirations(ctx, clientID, analytics.ExpirationsQuery{From: month, Months: 12, PropertyID: prop})
			return err
		}},
		{"analytics.trend", func(ctx context.Context, s *analytics.Service) error {
			_, err := s.Trend(ctx, clientID, analytics.TrendQuery{From: from, To: month, PropertyID: prop})
			return err
		}},
		{"analytics.properties", func(ctx context.Context, s *analytics.Service) error {
			_, err := s.Properties(ctx, clientID)
			return err
		}},
		{"analytics.competition", func(ctx context.Context, s *analytics.Service) error {
			_, err := s.Competition(ctx, clientID, analytics.CompetitionQuery{AsOf: asOf, PropertyID: prop})
			return err
		}},
		{"analytics.changes", func(ctx context.Context, s *analytics.Service) error {
			_, err := s.Changes(ctx, clientID, analytics.ChangesQuery{PropertyID: prop, From: asOf.AddDate(0, -1, 0), To: asOf})
			return err
		}},
		{"analytics.floorplans", func(ctx context.Context, s *analytics.Service) error {
			_, err := s.Floorplans(ctx, clientID, prop)
			return err
		}},
		{"analytics.put floorplans (DELETE, INSERT)", func(ctx context.Context, s *analytics.Service) error {
			beds, baths, sqft := 2.0, 1.5, int64(950)
			_, err := s.PutFloorplans(ctx, clientID, prop, "bigquery-check", []analytics.Floorplan{
				{Code: "B2", Beds: &beds, Baths: &baths, Sqft: &sqft},
			})
			return err
		}},
		{"analytics.all clients summary", func(ctx context.Context, s *analytics.Service) error {
			_, err := s.AllClientsSummary(ctx, []tenancy.Client{c})
			return err
		}},
		{"analytics.refresh stored summary (MERGE)", func(ctx context.Context, s *analytics.Service) error {
			return s.RefreshClientSummary(ctx, c)
		}},
		{"analytics.stored summary", func(ctx context.Context, s *analytics.Service) error {
			_, err := s.StoredSummary(ctx, []tenancy.Client{c})
			return err
		}},
	}
}

// Run makes every step on w (a dry-running warehouse in production use) and
// returns the names of the steps whose domain call failed before or after
// its statements were sent, with the errors.
func Run(ctx context.Context, w warehouse.Warehouse, log *slog.Logger, clientID string, asOf time.Time) []error {
	s := &analytics.Service{W: w, Log: log, Now: func() time.Time { return asOf }}
	var failed []error
	for _, st := range Steps(clientID, asOf) {
		if err := st.Run(ctx, s); err != nil {
			failed = append(failed, fmt.Errorf("%s: %w", st.Name, err))
		}
	}
	return failed
}
