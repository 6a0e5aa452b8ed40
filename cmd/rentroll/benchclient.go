package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"rentroll.ai/rentroll/internal/analyticsbench"
	"rentroll.ai/rentroll/internal/localplatform"
	"rentroll.ai/rentroll/shared/analytics"
	"rentroll.ai/rentroll/shared/auth/localissuer"
)

// The large client `dev --bench-client` adds: the analytics benchmark's
// sizing target (200 properties × 300 units × 24 monthly rolls = 1.44M unit
// rows, with a competition survey per property and month), so the console
// can be measured at that size in a browser.
const (
	benchClientID         = "bench-large"
	benchClientName       = "Large Portfolio (generated)"
	benchClientAdminEmail = "admin@bench-large.example"
	benchProperties       = 200
	benchUnits            = 300
	benchMonths           = 24
)

// benchClientConfig sizes the generated client; its last monthly roll is
// in the month before now, so it reads as a current portfolio.
func benchClientConfig(now time.Time) analyticsbench.Config {
	return analyticsbench.Config{
		ClientID: benchClientID, Properties: benchProperties, Units: benchUnits, Months: benchMonths,
		Start: analytics.MonthOf(now).Add(-benchMonths), Seed: 1, Surveys: true,
	}
}

// loadBenchClient registers the large client through the Admin API, as an
// operator would, then writes the generated rows straight into its warehouse
// dataset (ingesting 4,800 files through storage would take far longer and
// measure the ingest path, not the console). A client that already has
// properties (a restart with the same --data) is left as it is.
func loadBenchClient(ctx context.Context, p *localplatform.Platform, now func() time.Time, stdout io.Writer) error {
	tok, err := p.Issuer.Mint(localissuer.MintRequest{Subject: p.Config.BootstrapAdmin, Role: "super_admin", TTL: time.Hour})
	if err != nil {
		return err
	}
	super := &apiClient{base: p.URL, token: tok, http: &http.Client{Timeout: time.Minute}}
	var client struct {
		Dataset string `json:"dataset"`
	}
	if err := super.do(ctx, http.MethodPost, "/v1/admin/clients", map[string]string{
		"client_id": benchClientID, "name": benchClientName, "admin_email": benchClientAdminEmail,
	}, &client); err != nil {
		return fmt.Errorf("create client %s: %w", benchClientID, err)
	}
	var props struct {
		Properties []struct{} `json:"properties"`
	}
	if err := super.do(ctx, http.MethodGet, "/v1/clients/"+benchClientID+"/properties?limit=1", nil, &props); err != nil {
		return fmt.Errorf("list the properties of %s: %w", benchClientID, err)
	}
	if len(props.Properties) > 0 {
		fmt.Fprintf(stdout, "client %s already loaded\n", benchClientID)
		return nil
	}
	t0 := now()
	cfg := benchClientConfig(t0)
	fmt.Fprintf(stdout, "client %s: generating %d properties × %d units × %d monthly rolls…\n",
		benchClientID, cfg.Properties, cfg.Units, cfg.Months)
	n, err := analyticsbench.Load(ctx, p.Warehouse, client.Dataset, cfg)
	if err != nil {
		return fmt.Errorf("load client %s: %w", benchClientID, err)
	}
	// Scans of freshly appended rows are about twice as slow as of the
	// compressed, checkpointed store a long-lived warehouse is in.
	if c, ok := p.Warehouse.(interface {
		Exec(context.Context, string, map[string]any) error
	}); ok {
		if err := c.Exec(ctx, "CHECKPOINT", nil); err != nil {
			return fmt.Errorf("checkpoint after loading %s: %w", benchClientID, err)
		}
	}
	fmt.Fprintf(stdout, "client %s: %d unit rows loaded in %.1f s\n", benchClientID, n, now().Sub(t0).Seconds())
	return nil
}
