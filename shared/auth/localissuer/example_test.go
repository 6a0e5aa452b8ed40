package localissuer_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"

	"rentroll.ai/rentroll/shared/auth"
	"rentroll.ai/rentroll/shared/auth/localissuer"
	"rentroll.ai/rentroll/shared/errs"
)

// Example shows the local wiring: a LocalIssuer serving its JWKS, a Verifier
// trusting it, and the middleware's steps (BearerToken, Verify, errs mapping).
func Example() {
	dir, _ := os.MkdirTemp("", "rentroll-auth-example")
	defer os.RemoveAll(dir)

	mux := http.NewServeMux()
	srv := httptest.NewServer(mux) // the local platform's listener
	defer srv.Close()
	issuer, err := localissuer.Open(dir, srv.URL+"/")
	if err != nil {
		fmt.Println(err)
		return
	}
	mux.Handle("GET "+auth.JWKSPath, issuer.JWKSHandler())
	verifier, err := auth.NewVerifier(issuer.VerifierConfig())
	if err != nil {
		fmt.Println(err)
		return
	}

	tok, _ := issuer.Mint(localissuer.MintRequest{Subject: "local|super-admin", Role: "super_admin"})
	req := httptest.NewRequest(http.MethodGet, "/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok)

	raw, err := auth.BearerToken(req.Header)
	if err == nil {
		var c auth.Claims
		c, err = verifier.Verify(context.Background(), raw)
		fmt.Println(c.Subject, c.Role)
	}
	fmt.Println(errs.HTTPStatus(err))

	_, err = verifier.Verify(context.Background(), "garbage")
	code, msg := errs.Public(err)
	fmt.Println(errs.HTTPStatus(err), code, msg)
	// Output:
	// local|super-admin super_admin
	// 200
	// 401 unauthorized malformed token
}
