package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"rentroll.ai/rentroll/shared/auth"
	"rentroll.ai/rentroll/shared/auth/localissuer"
	"rentroll.ai/rentroll/shared/tenancy"
)

// DefaultAddr is where `rentroll dev` listens unless told otherwise.
const DefaultAddr = "127.0.0.1:8080"

// DefaultDataDir keeps the local platform's state.
const DefaultDataDir = ".rentroll"

// localState is what a running `dev` records in its data directory, so that
// `token` mints tokens for the issuer URL that `dev` actually serves.
type localState struct {
	URL    string `json:"url"`
	Issuer string `json:"issuer"`
}

const stateFile = "local.json"

func readState(dataDir string) (localState, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return localState{URL: "http://" + DefaultAddr, Issuer: "http://" + DefaultAddr + "/"}, nil
	}
	if err != nil {
		return localState{}, err
	}
	var s localState
	if err := json.Unmarshal(b, &s); err != nil {
		return localState{}, fmt.Errorf("%s: %w", filepath.Join(dataDir, stateFile), err)
	}
	return s, nil
}

func writeState(dataDir string, s localState) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dataDir, stateFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dataDir, stateFile))
}

func runToken(args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	sub := fs.String("sub", "", "subject (the users/{sub} key), e.g. local|super-admin (required)")
	role := fs.String("role", "", "role claim: super_admin, client_admin or client_user")
	client := fs.String("client", "", "client id claim (client roles)")
	email := fs.String("email", "", "email claim")
	ttl := fs.Duration("ttl", time.Hour, "lifetime")
	data := fs.String("data", DefaultDataDir, "the local platform's data directory (its key and issuer URL)")
	const tokenUsage = "rentroll token --sub S --role R [--client C] [--ttl 1h] [--data DIR]"
	if err := parseFlags(fs, args, tokenUsage); err != nil {
		return err
	}
	if err := required(fs, tokenUsage, "sub"); err != nil {
		return err
	}
	if *role != "" && !tenancy.Role(*role).Valid() {
		return usageError{fmt.Sprintf("token: --role %q: want super_admin, client_admin or client_user", *role)}
	}
	if *role != "" && *role != string(tenancy.SuperAdmin) && *client == "" {
		return usageError{"token: --client is required with a client role"}
	}
	if *ttl <= 0 || *ttl > 24*time.Hour {
		return usageError{"token: --ttl must be between 1s and 24h"}
	}
	st, err := readState(*data)
	if err != nil {
		return err
	}
	li, err := localissuer.Open(*data, st.Issuer, localissuer.WithClaimsNamespace(claimsNamespace(getenv)))
	if err != nil {
		return err
	}
	tok, err := li.Mint(localissuer.MintRequest{Subject: *sub, Role: *role, ClientID: *client, Email: *email, TTL: *ttl})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

func claimsNamespace(getenv func(string) string) string {
	if ns := getenv("RENTROLL_CLAIMS_NAMESPACE"); ns != "" {
		return ns
	}
	return auth.DefaultClaimsNamespace
}
