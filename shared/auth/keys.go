package auth

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/MicahParks/jwkset"
	"golang.org/x/time/rate"

	"rentroll.ai/rentroll/shared/clock"
)

// maxJWKSBytes bounds a JWKS response; Auth0's is about 4 KiB.
const maxJWKSBytes = 1 << 20

// fetchRetryInterval is how long a failed fetch is remembered: meanwhile
// requests that need keys answer Transient at once instead of each hitting
// (and waiting for) an endpoint that just failed.
const fetchRetryInterval = 5 * time.Second

// errUnknownKID is the lookup result for a kid the key set does not hold even
// after the refresh the rate limit allowed. It wraps jwkset.ErrKeyNotFound, as
// the jwkset.Storage contract asks.
var errUnknownKID = fmt.Errorf("unknown kid: %w", jwkset.ErrKeyNotFound)

// keysUnavailableError reports that no usable key set could be obtained: the
// JWKS endpoint failed and either nothing was ever fetched or the token's kid
// may belong to keys published since. Verify maps it to errs.Transient.
type keysUnavailableError struct{ err error }

func (e *keysUnavailableError) Error() string { return "JWKS unavailable: " + e.err.Error() }
func (e *keysUnavailableError) Unwrap() error { return e.err }

// remoteKeySet is the jwkset.Storage behind the Verifier's keyfunc. It is used
// instead of jwkset's HTTP storage, whose constructor fetches synchronously
// and starts a refresh goroutine, and which cannot tell "the JWKS is down"
// (Transient) from "no such kid" (Unauthorized). Here:
//   - nothing happens until a token needs a key; that request fetches;
//   - a key set older than refreshEvery is refetched by one request while the
//     others keep using it, and kept if the refetch fails;
//   - an unknown kid triggers a refetch at most once per unknownKID period;
//     concurrent requests wait for a fetch in progress instead of starting
//     their own;
//   - a failed fetch is not retried for retryEvery.
//
// Fetches use a context detached from the request's cancellation, so a caller
// that hangs up does not turn into a recorded JWKS failure.
type remoteKeySet struct {
	*jwkset.MemoryJWKSet // the keys of the last successful fetch

	url          string
	client       *http.Client
	timeout      time.Duration
	refreshEvery time.Duration
	retryEvery   time.Duration
	unknownKID   *rate.Limiter
	log          *slog.Logger
	now          clock.Func

	sem chan struct{} // held while fetching: one fetch at a time

	mu        sync.Mutex
	gen       uint64    // fetch attempts so far, to notice a fetch made while waiting
	fetchedAt time.Time // last success; zero until the first
	triedAt   time.Time // last attempt
	lastErr   error     // of the last attempt; nil if it succeeded
}

var _ jwkset.Storage = (*remoteKeySet)(nil)

func (k *remoteKeySet) init() {
	k.MemoryJWKSet = jwkset.NewMemoryStorage()
	k.sem = make(chan struct{}, 1)
}

// keyState is a consistent snapshot of the fetch bookkeeping.
type keyState struct {
	gen                  uint64
	have, fresh, backoff bool
	lastErr              error
}

func (k *remoteKeySet) state() keyState {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	return keyState{
		gen:     k.gen,
		have:    !k.fetchedAt.IsZero(),
		fresh:   !k.fetchedAt.IsZero() && now.Sub(k.fetchedAt) < k.refreshEvery,
		backoff: k.lastErr != nil && now.Sub(k.triedAt) < k.retryEvery,
		lastErr: k.lastErr,
	}
}

// KeyRead returns the key with keyID, fetching the key set first if none is
// held or it is stale, and once more (rate limited) if the kid is unknown.
func (k *remoteKeySet) KeyRead(ctx context.Context, keyID string) (jwkset.JWK, error) {
	st := k.state()
	if err := k.ensure(ctx, st); err != nil {
		return jwkset.JWK{}, err
	}
	if jwk, err := k.MemoryJWKSet.KeyRead(ctx, keyID); err == nil {
		return jwk, nil
	}
	// Unknown kid: perhaps a rotation. Unless a fetch completed since this
	// lookup began (ensure's own, or another request's that we waited for),
	// refetch if the rate limit allows.
	if err := k.acquire(ctx); err != nil {
		return jwkset.JWK{}, &keysUnavailableError{err}
	}
	if cur := k.state(); cur.gen == st.gen && !cur.backoff && k.unknownKID.Allow() {
		_ = k.fetch(ctx) // a failure keeps the old keys and is judged below
	}
	k.release()
	if jwk, err := k.MemoryJWKSet.KeyRead(ctx, keyID); err == nil {
		return jwk, nil
	}
	if cur := k.state(); cur.lastErr != nil {
		// The endpoint is failing, so the kid may be a new key we cannot see.
		return jwkset.JWK{}, &keysUnavailableError{cur.lastErr}
	}
	return jwkset.JWK{}, errUnknownKID
}

// ensure makes sure a key set is held, refreshing a stale one; st is the
// caller's snapshot of the bookkeeping. It fails only when no key set has
// ever been fetched.
func (k *remoteKeySet) ensure(ctx context.Context, st keyState) error {
	switch {
	case st.fresh:
		return nil
	case st.backoff && st.have:
		return nil
	case st.backoff:
		return &keysUnavailableError{st.lastErr}
	case st.have:
		// Stale: one request refreshes; the rest go on with the keys held.
		select {
		case k.sem <- struct{}{}:
		default:
			return nil
		}
		defer k.release()
		if k.state().gen == st.gen {
			_ = k.fetch(ctx) // a failure is logged by fetch; the previous keys stay
		}
		return nil
	}
	// Nothing held yet: wait for a fetch in progress or make one.
	if err := k.acquire(ctx); err != nil {
		return &keysUnavailableError{err}
	}
	defer k.release()
	cur := k.state()
	switch {
	case cur.have:
		return nil
	case cur.gen != st.gen || cur.backoff:
		return &keysUnavailableError{cur.lastErr}
	}
	if err := k.fetch(ctx); err != nil {
		return &keysUnavailableError{err}
	}
	return nil
}

// acquire takes the fetch slot, giving up when ctx ends.
func (k *remoteKeySet) acquire(ctx context.Context) error {
	select {
	case k.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (k *remoteKeySet) release() { <-k.sem }

// fetch downloads the key set and, if it holds at least one usable key,
// replaces the keys held. The caller holds the fetch slot.
func (k *remoteKeySet) fetch(ctx context.Context) error {
	keys, err := k.download(ctx)
	if err == nil {
		err = k.MemoryJWKSet.KeyReplaceAll(ctx, keys)
	}
	if err != nil {
		// The alert policy "JWKS fetch failures" matches this message.
		k.log.ErrorContext(ctx, "JWKS unavailable", "jwks_url", k.url, "error", err.Error())
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.gen++
	k.triedAt = k.now()
	k.lastErr = err
	if err == nil {
		k.fetchedAt = k.triedAt
	}
	return err
}

// download GETs and parses the JWKS. Keys that cannot verify RS256 (not RSA,
// meant for encryption, without kid, or too short) are skipped, so a set with
// one odd key still works; a set with no usable key is an error, keeping the
// previous keys rather than locking everyone out.
func (k *remoteKeySet) download(ctx context.Context) ([]jwkset.JWK, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), k.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, fmt.Errorf("JWKS request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("JWKS fetch: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("JWKS fetch: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("JWKS read: %w", err)
	}
	if len(body) > maxJWKSBytes {
		return nil, fmt.Errorf("JWKS larger than %d bytes", maxJWKSBytes)
	}
	var set jwkset.JWKSMarshal
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("JWKS decode: %w", err)
	}
	keys := make([]jwkset.JWK, 0, len(set.Keys))
	var skipped []error
	for _, m := range set.Keys {
		if m.KTY != jwkset.KtyRSA || m.KID == "" || (m.USE != "" && m.USE != jwkset.UseSig) {
			continue
		}
		jwk, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
		if err != nil {
			skipped = append(skipped, fmt.Errorf("key %q: %w", m.KID, err))
			continue
		}
		if pub, ok := jwk.Key().(*rsa.PublicKey); !ok || pub.N.BitLen() < MinRSABits {
			skipped = append(skipped, fmt.Errorf("key %q: %w", m.KID, errWeakKey))
			continue
		}
		keys = append(keys, jwk)
	}
	if len(keys) == 0 {
		if len(skipped) > 0 {
			return nil, fmt.Errorf("JWKS has no usable RS256 key: %w", errors.Join(skipped...))
		}
		return nil, errors.New("JWKS has no usable RS256 key")
	}
	return keys, nil
}
