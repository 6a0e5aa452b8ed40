// Package analytics is the Analytics function: rent-roll metrics, lease
// expirations, trends, competition positioning and the client's properties,
// each a parameterized query on the caller's own dataset.
//
// The handlers are thin: they read and validate the query string (a bad
// value answers 400 with a message naming the parameter), take the client id
// from the path — the route table's guard has already authorized it — call
// shared/analytics, and encode its answer (docs/architecture.md#http-api and docs/metrics.md).
package analytics

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"rentroll.ai/rentroll/shared/analytics"
	"rentroll.ai/rentroll/shared/api"
	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/clock"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/web"
)

// Deps is what the Analytics function needs.
type Deps struct {
	Log       *slog.Logger
	Analytics *analytics.Service
	// Now is the clock for default months; nil means time.Now.
	Now clock.Func
	// Billing keeps the property lifecycle (lifecycle.go); nil lists
	// properties without their billing status.
	Billing *billing.Service
}

// Routes is the Analytics function's route table.
func Routes(d Deps) []web.Route {
	h := handlers{d}
	route := func(name, path string, fn web.HandlerFunc) web.Route {
		return web.Route{Name: name, Method: http.MethodGet, Path: path, Access: web.Tenant, Role: tenancy.ClientUser, Handler: fn}
	}
	return []web.Route{
		route("properties.list", "/v1/clients/{cid}/properties", h.properties),
		route("analytics.summary", "/v1/clients/{cid}/analytics/rent-roll/summary", h.summary),
		route("analytics.expirations", "/v1/clients/{cid}/analytics/rent-roll/expirations", h.expirations),
		route("analytics.trend", "/v1/clients/{cid}/analytics/rent-roll/trend", h.trend),
		route("analytics.competition", "/v1/clients/{cid}/analytics/competition", h.competition),
		route("analytics.changes", "/v1/clients/{cid}/analytics/rent-roll/changes", h.changes),
		route("floorplans.get", "/v1/clients/{cid}/properties/{pid}/floorplans", h.floorplans),
		{Name: "floorplans.put", Method: http.MethodPut, Path: "/v1/clients/{cid}/properties/{pid}/floorplans",
			Access: web.Tenant, Role: tenancy.ClientAdmin, MaxBody: floorplansMaxBody, Handler: h.putFloorplans},
		lifecycleRoute(h),
	}
}

type handlers struct{ d Deps }

func (h handlers) now() time.Time {
	return h.d.Now.UTC()
}

func (h handlers) service() (*analytics.Service, error) {
	if h.d.Analytics == nil {
		return nil, errs.E(errs.Internal, "analytics service not configured")
	}
	return h.d.Analytics, nil
}

// params reads the query string once and keeps the first problem.
type params struct {
	q   url.Values
	err error
}

func (p *params) fail(err error) {
	if p.err == nil {
		p.err = err
	}
}

// single returns the value of name, refusing repeats (which would be ambiguous).
func (p *params) single(name string) string {
	vs := p.q[name]
	if len(vs) > 1 {
		p.fail(errs.E(errs.Invalid, "%s may be given only once", name))
	}
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

func (p *params) date(name string) time.Time {
	v := p.single(name)
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil || len(v) != len(time.DateOnly) {
		p.fail(errs.E(errs.Invalid, "%s must be a date YYYY-MM-DD", name))
		return time.Time{}
	}
	return t
}

func (p *params) month(name string) analytics.Month {
	v := p.single(name)
	if v == "" {
		return analytics.Month{}
	}
	m, err := analytics.ParseMonth(v)
	if err != nil {
		p.fail(errs.E(errs.Invalid, "%s must be a month YYYY-MM", name))
	}
	return m
}

func (p *params) property() string {
	v := p.single("property_id")
	if err := analytics.ValidatePropertyID(v); err != nil {
		p.fail(err)
	}
	return v
}

func (p *params) months() int {
	v := p.single("months")
	if v == "" {
		return analytics.DefaultExpirationMonths
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > analytics.MaxExpirationMonths {
		p.fail(errs.E(errs.Invalid, "months must be a whole number from 1 to %d", analytics.MaxExpirationMonths))
	}
	return n
}

func (h handlers) summary(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.service()
	if err != nil {
		return err
	}
	p := params{q: r.URL.Query()}
	q := analytics.SummaryQuery{AsOf: p.date("as_of"), PropertyID: p.property()}
	if p.err != nil {
		return p.err
	}
	out, err := svc.Summary(r.Context(), r.PathValue("cid"), q)
	if err == nil && !out.Data {
		err = knownProperty(r.Context(), svc, r.PathValue("cid"), q.PropertyID)
	}
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

// expirations counts from the rolls' as_of dates; from defaults to the month
// of the newest roll.
func (h handlers) expirations(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.service()
	if err != nil {
		return err
	}
	p := params{q: r.URL.Query()}
	q := analytics.ExpirationsQuery{From: p.month("from"), Months: p.months(), PropertyID: p.property()}
	if p.err != nil {
		return p.err
	}
	out, err := svc.Expirations(r.Context(), r.PathValue("cid"), q)
	if err == nil && !out.Data {
		err = knownProperty(r.Context(), svc, r.PathValue("cid"), q.PropertyID)
	}
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

// trend defaults to to the current month (or, when from is given and that
// would be too long, to the last month allowed) and from to 11 months
// before to.
func (h handlers) trend(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.service()
	if err != nil {
		return err
	}
	p := params{q: r.URL.Query()}
	q := analytics.TrendQuery{From: p.month("from"), To: p.month("to"), PropertyID: p.property()}
	if p.err != nil {
		return p.err
	}
	if q.To.IsZero() {
		q.To = analytics.MonthOf(h.now())
		if !q.From.IsZero() && q.To.Index()-q.From.Index() >= analytics.MaxTrendMonths {
			q.To = q.From.Add(analytics.MaxTrendMonths - 1)
		}
	}
	if q.From.IsZero() {
		q.From = q.To.Add(-11)
	}
	switch n := q.To.Index() - q.From.Index() + 1; {
	case n < 1:
		return errs.E(errs.Invalid, "from must not be after to")
	case n > analytics.MaxTrendMonths:
		return errs.E(errs.Invalid, "from..to covers %d months; at most %d are allowed", n, analytics.MaxTrendMonths)
	}
	out, err := svc.Trend(r.Context(), r.PathValue("cid"), q)
	if err == nil && !out.Data {
		err = knownProperty(r.Context(), svc, r.PathValue("cid"), q.PropertyID)
	}
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h handlers) competition(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.service()
	if err != nil {
		return err
	}
	p := params{q: r.URL.Query()}
	q := analytics.CompetitionQuery{AsOf: p.date("as_of"), PropertyID: p.property()}
	if p.err != nil {
		return p.err
	}
	out, err := svc.Competition(r.Context(), r.PathValue("cid"), q)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

// changes compares two rolls of one property; property_id and from are
// required, to defaults to the latest roll.
func (h handlers) changes(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.service()
	if err != nil {
		return err
	}
	p := params{q: r.URL.Query()}
	q := analytics.ChangesQuery{PropertyID: p.property(), From: p.date("from"), To: p.date("to")}
	if p.err != nil {
		return p.err
	}
	out, err := svc.Changes(r.Context(), r.PathValue("cid"), q)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

// floorplansMaxBody bounds a floorplans PUT: MaxFloorplans entries of a
// few hundred bytes each.
const floorplansMaxBody = 128 << 10

func (h handlers) floorplans(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.service()
	if err != nil {
		return err
	}
	out, err := svc.Floorplans(r.Context(), r.PathValue("cid"), r.PathValue("pid"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

// putFloorplans replaces the property's edited floorplans; the caller's
// subject is recorded with them.
func (h handlers) putFloorplans(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.service()
	if err != nil {
		return err
	}
	var body api.FloorplansPut
	if err := web.Decode(r, &body); err != nil {
		return err
	}
	if body.Floorplans == nil {
		return errs.E(errs.Invalid, "floorplans is required (an empty list removes every edit)")
	}
	for i := range body.Floorplans {
		body.Floorplans[i].Source = "" // answered, not accepted
	}
	actor := ""
	if p, ok := web.PrincipalFrom(r.Context()); ok {
		actor = p.Subject
	}
	out, err := svc.PutFloorplans(r.Context(), r.PathValue("cid"), r.PathValue("pid"), actor, body.Floorplans)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

// properties pages through the property list by id. The page token is the
// last id of the previous page, base64url-encoded so that clients treat it as
// opaque.
func (h handlers) properties(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.service()
	if err != nil {
		return err
	}
	page, err := web.PageOf(r)
	if err != nil {
		return err
	}
	var after string
	if page.Token != "" {
		b, err := base64.RawURLEncoding.DecodeString(page.Token)
		if err != nil || analytics.ValidatePropertyID(string(b)) != nil {
			return errs.E(errs.Invalid, "page_token is not valid")
		}
		after = string(b)
	}
	all, err := svc.Properties(r.Context(), r.PathValue("cid"))
	if err != nil {
		return err
	}
	i := sort.Search(len(all), func(i int) bool { return all[i].PropertyID > after })
	if after == "" {
		i = 0
	}
	items := all[i:]
	next := ""
	if len(items) > page.Limit {
		items = items[:page.Limit]
		next = base64.RawURLEncoding.EncodeToString([]byte(items[len(items)-1].PropertyID))
	}
	withStatus, err := h.withStatus(r.Context(), r.PathValue("cid"), items)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, api.PropertyList{Items: withStatus, NextPageToken: next})
	return nil
}

// knownProperty answers NotFound for a property the client has never loaded a
// rent roll of, so that a mistyped property_id is a 404 rather than an answer
// of zeros. It runs only when an answer has no data, so answers with data cost
// no extra query.
func knownProperty(ctx context.Context, svc *analytics.Service, clientID, propertyID string) error {
	if propertyID == "" {
		return nil
	}
	props, err := svc.Properties(ctx, clientID)
	if err != nil {
		return err
	}
	for _, p := range props {
		if p.PropertyID == propertyID {
			return nil
		}
	}
	return errs.E(errs.NotFound, "no rent roll of property %s has been loaded", propertyID).WithReason("property_not_found")
}
