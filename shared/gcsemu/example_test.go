package gcsemu_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"io"
	"net/http"
	"strings"

	"rentroll.ai/rentroll/shared/gcs"
	"rentroll.ai/rentroll/shared/gcsemu"
	"rentroll.ai/rentroll/shared/objects"
)

// The local wiring: one RSA key signs (gcs.Store) and verifies (emulator);
// the Store's client points at the emulator, so its URLs do too.
func Example() {
	ctx := context.Background()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	const account = "uploads@local"
	finalized := make(chan objects.Attrs, 1)
	emu, err := gcsemu.Start(ctx, gcsemu.Config{
		Buckets:    []string{"uploads"},
		SigningKey: &key.PublicKey,
		AccessID:   account,
		OnFinalize: func(_ context.Context, a objects.Attrs) { finalized <- a },
	})
	if err != nil {
		panic(err)
	}
	defer emu.Close()
	client, err := emu.Client(ctx)
	if err != nil {
		panic(err)
	}
	defer client.Close()
	store := gcs.New(client, gcs.SigningConfig{GoogleAccessID: account, Signer: key, Scheme: "http"})

	// The uploads function issues the URL; the client PUTs with its headers.
	sp, err := store.SignPut(ctx, "uploads", "clients/c1/rent_roll/u1/roll.csv",
		objects.PutPolicy{ContentType: "text/csv", MaxBytes: 1 << 20})
	if err != nil {
		panic(err)
	}
	req, _ := http.NewRequest(sp.Method, sp.URL, strings.NewReader("unit,rent\n101,1500\n"))
	for k, v := range sp.Headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println("upload:", resp.Status)

	// Ingest receives the finalize event and reads exactly that generation.
	a := <-finalized
	rc, _, err := store.Open(ctx, a.Bucket, a.Name, a.Generation)
	if err != nil {
		panic(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	fmt.Printf("finalized %s (%d bytes, %s): %q\n", a.Name, a.Size, a.ContentType, b)
	// Output:
	// upload: 200 OK
	// finalized clients/c1/rent_roll/u1/roll.csv (19 bytes, text/csv): "unit,rent\n101,1500\n"
}
