package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"rentroll.ai/rentroll/internal/localplatform"
	"rentroll.ai/rentroll/shared/analytics"
	"rentroll.ai/rentroll/shared/api"
	"rentroll.ai/rentroll/shared/auth/localissuer"
	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/tenancy"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	keep := fs.Bool("keep", false, "keep the temporary data directory")
	if err := parseFlags(fs, args, "rentroll demo [--keep]"); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "rentroll-demo-")
	if err != nil {
		return err
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	fmt.Fprintf(stdout, "data directory %s\n", dir)
	p, err := startLocal(ctx, "127.0.0.1:0", dir, stderr, getenv)
	if err != nil {
		return err
	}
	defer closeLocal(p, stderr)
	fmt.Fprintf(stdout, "platform serving at %s\n", p.URL)
	if err := runScenario(ctx, p, stdout, stderr); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "demo finished: OK")
	return nil
}

// Demo identities.
const (
	demoClient     = "demo-properties"
	demoAdminEmail = "admin@demo.example"
)

// runScenario walks through the platform over HTTP, as a client would: the
// super admin onboards a client with its admin's e-mail, the admin accepts
// the invitation, sets a password and signs in through the local provider
// (authorization code with PKCE), uploads every sample export through signed
// URLs and sees each ingested (and a broken file rejected), then reads the
// portfolio summary.
func runScenario(ctx context.Context, p *localplatform.Platform, stdout, stderr io.Writer) error {
	mint := func(sub, role, client string) (*apiClient, error) {
		tok, err := p.Issuer.Mint(localissuer.MintRequest{Subject: sub, Role: role, ClientID: client, TTL: time.Hour})
		if err != nil {
			return nil, err
		}
		return &apiClient{base: p.URL, token: tok, http: &http.Client{Timeout: time.Minute}}, nil
	}
	super, err := mint(p.Config.BootstrapAdmin, "super_admin", "")
	if err != nil {
		return err
	}
	var me tenancy.Principal
	if err := super.do(ctx, http.MethodGet, "/v1/me", nil, &me); err != nil {
		return fmt.Errorf("GET /v1/me: %w", err)
	}
	fmt.Fprintf(stdout, "signed in as %s (%s)\n", me.Subject, me.Role)

	var client tenancy.Onboarded
	if err := super.do(ctx, http.MethodPost, "/v1/admin/clients", tenancy.NewClient{
		ID: demoClient, Name: "Demo Properties", AdminEmail: demoAdminEmail, AdminName: "Demo Admin",
	}, &client); err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	fmt.Fprintf(stdout, "client %s ready (dataset %s)\n", client.ID, client.Dataset)
	admin, err := demoAdminSession(ctx, p, super, client.Invitation, mint, stdout)
	if err != nil {
		return err
	}
	dir, err := sampleDir()
	if err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(dir, "rentroll", "*"))
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), "broken_") || !isSample(f) {
			continue
		}
		// Some exports do not state everything: the upload request fills in
		// what the file leaves out, as a user would.
		hint := demoHints[strings.SplitN(filepath.Base(f), "_", 2)[0]]
		fmt.Fprintf(stdout, "\nuploading %s\n", filepath.Base(f))
		if err := uploadFile(ctx, admin, f, demoClient, "rent_roll", hint.property, hint.asOf, stdout, stderr); err != nil {
			return err
		}
	}
	comps, _ := filepath.Glob(filepath.Join(dir, "competition", "*"))
	for _, f := range comps {
		if !isSample(f) {
			continue
		}
		fmt.Fprintf(stdout, "\nuploading %s\n", filepath.Base(f))
		if err := uploadFile(ctx, admin, f, demoClient, "competition", "", "", stdout, stderr); err != nil {
			return err
		}
	}
	broken := filepath.Join(dir, "rentroll", "broken_negative_rent.csv")
	fmt.Fprintf(stdout, "\nuploading %s (expected to be rejected)\n", filepath.Base(broken))
	if err := uploadFile(ctx, admin, broken, demoClient, "rent_roll", "", "", stdout, stderr); err == nil {
		return errors.New("the broken sample was not rejected")
	}

	var summary analytics.Summary
	err = admin.do(ctx, http.MethodGet, "/v1/clients/"+demoClient+"/analytics/rent-roll/summary", nil, &summary)
	var ae *apiError
	switch {
	case errors.As(err, &ae) && ae.Code == "not_implemented":
		fmt.Fprintln(stdout, "\nportfolio summary: not available yet (analytics is not implemented)")
	case err != nil:
		return fmt.Errorf("summary: %w", err)
	default:
		fmt.Fprintln(stdout, "\nportfolio summary:")
		printSummary(stdout, summary)
	}

	// The monthly unit count for the samples' month, as Cloud Scheduler
	// would trigger it, and what finance receives.
	const month = "2026-03"
	var run billing.RunView
	if err := super.do(ctx, http.MethodPost, "/v1/admin/billing/runs", api.BillingRunRequest{Month: month}, &run); err != nil {
		return fmt.Errorf("billing run: %w", err)
	}
	fmt.Fprintf(stdout, "\nbilling run %s for %s: %d units over %d clients, export gs://%s/%s\n", run.RunID, month, run.UnitsTotal, run.Clients, run.Export.Bucket, run.Export.Object)
	var usage billing.Usage
	if err := super.do(ctx, http.MethodGet, "/v1/admin/usage?month="+month, nil, &usage); err != nil {
		return fmt.Errorf("usage: %w", err)
	}
	for _, c := range usage.Clients {
		fmt.Fprintf(stdout, "  %s: %d billable units in %d properties\n", c.ClientID, c.Units, c.Properties)
	}
	return nil
}

// demoAdminSession signs the demo client's admin in. A fresh admin accepts
// the invitation with a one-time password and signs in through the provider;
// on a data directory where the admin already set a password (a restarted
// `dev --demo`), there is no invitation and a local token is minted instead.
func demoAdminSession(ctx context.Context, p *localplatform.Platform, super *apiClient, inv *tenancy.Invitation, mint func(sub, role, client string) (*apiClient, error), stdout io.Writer) (*apiClient, error) {
	if inv != nil && p.Provider != nil {
		b := newBrowserSession(p.URL)
		password := randomURLString(18)
		if err := b.acceptInvitation(ctx, inv.URL, password); err != nil {
			return nil, fmt.Errorf("accept the invitation: %w", err)
		}
		tok, err := b.signIn(ctx, demoAdminEmail, password)
		if err != nil {
			return nil, fmt.Errorf("sign in: %w", err)
		}
		admin := &apiClient{base: p.URL, token: tok, http: &http.Client{Timeout: time.Minute}}
		var me tenancy.Principal
		if err := admin.do(ctx, http.MethodGet, "/v1/me", nil, &me); err != nil {
			return nil, fmt.Errorf("GET /v1/me as the admin: %w", err)
		}
		fmt.Fprintf(stdout, "%s accepted the invitation and signed in as %s (%s of %s)\n", demoAdminEmail, me.Subject, me.Role, me.ClientID)
		return admin, nil
	}
	var users api.UserList
	if err := super.do(ctx, http.MethodGet, "/v1/clients/"+demoClient+"/users", nil, &users); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	for _, u := range users.Items {
		if strings.EqualFold(u.Email, demoAdminEmail) {
			fmt.Fprintf(stdout, "%s has signed in before; using a local token for %s\n", demoAdminEmail, u.Subject)
			return mint(u.Subject, "client_admin", demoClient)
		}
	}
	return nil, fmt.Errorf("the demo client has no admin %s", demoAdminEmail)
}

// demoHints give, per sample system, what its export does not state: a
// OneSite banner names its property without a code; the generic sample has no
// as-of date.
var demoHints = map[string]struct{ property, asOf string }{
	"onesite": {property: "cr02"},
	"generic": {asOf: "2026-03-31"},
}

func isSample(f string) bool {
	ext := strings.ToLower(filepath.Ext(f))
	return ext == ".csv" || ext == ".xlsx"
}

// sampleDir finds the repository's testdata, from the working directory up.
func sampleDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		cand := filepath.Join(dir, "testdata")
		if st, err := os.Stat(filepath.Join(cand, "rentroll")); err == nil && st.IsDir() {
			return cand, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("the sample files (testdata/rentroll) were not found: run the demo from the repository")
		}
		dir = parent
	}
}
