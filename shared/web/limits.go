package web

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"rentroll.ai/rentroll/shared/clock"
	"rentroll.ai/rentroll/shared/errs"
)

// RateLimiter bounds each principal's request rate (a token bucket per key:
// the subject once authenticated, the client address before), so that one
// tenant's script cannot starve the others.
type RateLimiter struct {
	rate  rate.Limit
	burst int
	now   clock.Func

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// maxBuckets bounds the limiter's memory; idle buckets are dropped past it.
const maxBuckets = 100_000

// NewRateLimiter allows perSecond requests a second per key with bursts of burst.
func NewRateLimiter(perSecond float64, burst int) *RateLimiter {
	return &RateLimiter{rate: rate.Limit(perSecond), burst: burst, now: time.Now, buckets: map[string]*bucket{}}
}

// Allow takes one request for key, or says how long to wait.
func (l *RateLimiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	now := l.now()
	l.mu.Lock()
	b, found := l.buckets[key]
	if !found {
		if len(l.buckets) >= maxBuckets {
			// Evict a bounded sample (map order is random): idle buckets
			// first, else any, so memory and the time under the lock stay
			// bounded however many addresses call.
			n := 0
			for k, old := range l.buckets {
				if n >= 64 {
					break
				}
				if now.Sub(old.seen) > time.Minute || n < 8 {
					delete(l.buckets, k)
				}
				n++
			}
		}
		b = &bucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	l.mu.Unlock()
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// limit applies the rate limiter to key, as a RateLimited error.
func (s *Server) limit(w http.ResponseWriter, key string) error {
	if s.Limiter == nil {
		return nil
	}
	ok, wait := s.Limiter.Allow(key)
	if ok {
		return nil
	}
	secs := int(wait/time.Second) + 1
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return errs.E(errs.RateLimited, "too many requests; retry in %d s", secs)
}

// cors sets the CORS response headers for an allowed Origin. Browsers from
// any other origin get none and are refused by the browser itself.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || !s.originAllowed(origin) {
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	h.Set("Access-Control-Expose-Headers", "X-Request-Id, Retry-After")
	return true
}

func (s *Server) originAllowed(origin string) bool {
	for _, o := range s.AllowedOrigins {
		if strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

// preflight answers a CORS preflight for a path whose methods are allow.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request, allow []string) {
	if !s.cors(w, r) {
		WriteJSON(w, http.StatusForbidden, ErrorBody{Error: ErrorDetail{
			Code: "cors_origin_not_allowed", Message: "this origin may not call the API",
		}})
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", strings.Join(allow, ", "))
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

// ClientLimiter bounds the warehouse work each client can cause on the
// routes it wraps (the analytics queries): at most Concurrent requests of
// one client at once and a token bucket per client, so one tenant's
// dashboard or script cannot take the warehouse's slots and budget from the
// others. Over the bound the answer is 429 with Retry-After.
type ClientLimiter struct {
	concurrent int
	rate       *RateLimiter

	mu       sync.Mutex
	inflight map[string]int
}

// Default bounds of the analytics path per client.
const (
	DefaultClientConcurrent = 4
)

// NewClientLimiter allows concurrent requests at once and perSecond a
// second (bursts of burst) per client.
func NewClientLimiter(concurrent int, perSecond float64, burst int) *ClientLimiter {
	return &ClientLimiter{concurrent: concurrent, rate: NewRateLimiter(perSecond, burst), inflight: map[string]int{}}
}

// Wrap returns routes whose handlers first take a slot of the client named
// by {cid} (the route table has authorized the caller for it by then).
// Routes without {cid} are returned unchanged.
func (l *ClientLimiter) Wrap(routes []Route) []Route {
	out := make([]Route, len(routes))
	for i, rt := range routes {
		out[i] = rt
		if !strings.Contains(rt.Path, "{cid}") || rt.Handler == nil {
			continue
		}
		h := rt.Handler
		out[i].Handler = func(w http.ResponseWriter, r *http.Request) error {
			release, err := l.acquire(w, r.PathValue("cid"))
			if err != nil {
				return err
			}
			defer release()
			return h(w, r)
		}
	}
	return out
}

func (l *ClientLimiter) acquire(w http.ResponseWriter, cid string) (func(), error) {
	if ok, wait := l.rate.Allow(cid); !ok {
		secs := int(wait/time.Second) + 1
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		return nil, errs.E(errs.RateLimited, "too many queries for this client; retry in %d s", secs)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inflight[cid] >= l.concurrent {
		w.Header().Set("Retry-After", "1")
		return nil, errs.E(errs.RateLimited, "this client already runs %d queries; retry in 1 s", l.concurrent)
	}
	l.inflight[cid]++
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.inflight[cid]--; l.inflight[cid] <= 0 {
			delete(l.inflight, cid)
		}
	}, nil
}
