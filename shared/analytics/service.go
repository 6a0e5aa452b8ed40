package analytics

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"regexp"
	"sort"
	"sync"
	"time"

	"rentroll.ai/rentroll/shared/clock"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/warehouse"
)

// Limits of the query parameters (docs/architecture.md#http-api).
const (
	DefaultExpirationMonths = 12
	MaxExpirationMonths     = 36
	MaxTrendMonths          = 60
	MaxPropertyIDLength     = 128
)

// latestDate stands for "no upper bound" when a query has no as_of.
var latestDate = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

var propertyIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

// ValidatePropertyID checks a property id filter: 1 to 128 characters of
// letters, digits, '.', '_' and '-'. An empty id means no filter and is valid.
func ValidatePropertyID(id string) error {
	if id == "" || propertyIDPattern.MatchString(id) {
		return nil
	}
	return errs.E(errs.Invalid, "property_id must be at most %d characters of letters, digits, '.', '_' or '-'", MaxPropertyIDLength)
}

// Service answers the analytics questions of docs/architecture.md#http-api and docs/metrics.md from a client's
// warehouse dataset.
type Service struct {
	W   warehouse.Warehouse
	Log *slog.Logger
	// Now is the clock for "this month" in AllClientsSummary; nil means time.Now.
	Now clock.Func

	// refreshMu serializes this process's refreshes of the stored summary:
	// DuckDB runs two concurrent MERGEs of one new key as two inserts.
	// (BigQuery aborts one of two conflicting DML statements instead.)
	refreshMu sync.Mutex
}

func (s *Service) now() time.Time {
	return s.Now.UTC()
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

// dataset is the client's dataset name. The id comes from an authorized
// request path (or the client registry), and the name is checked again here
// because it is placed in SQL text.
func dataset(clientID string) (string, error) {
	ds := tenancy.DatasetName(clientID)
	if err := warehouse.CheckIdent(ds); err != nil {
		return "", err
	}
	return ds, nil
}

func propParam(params map[string]any, propertyID string) (bool, error) {
	if err := ValidatePropertyID(propertyID); err != nil {
		return false, err
	}
	if propertyID == "" {
		return false, nil
	}
	params["property_id"] = propertyID
	return true, nil
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func asOfParams(params map[string]any, asOf time.Time) {
	if asOf.IsZero() {
		asOf = latestDate
	}
	asOf = asOf.UTC()
	params["as_of"] = dateString(asOf)
	params["as_of_month"] = dateString(MonthOf(asOf).Start())
}

func (s *Service) query(ctx context.Context, what, sql string, params map[string]any) ([]warehouse.Result, error) {
	rows, err := s.W.Query(ctx, sql, params)
	if err != nil {
		return nil, fmt.Errorf("analytics %s: %w", what, err)
	}
	return rows, nil
}

// Summary answers the rent-roll summary (docs/metrics.md) over the latest loaded
// roll of each property with as_of_date ≤ q.AsOf. No data is not an error:
// the answer has Data false, zero totals and no unit types.
func (s *Service) Summary(ctx context.Context, clientID string, q SummaryQuery) (Summary, error) {
	ds, err := dataset(clientID)
	if err != nil {
		return Summary{}, err
	}
	params := map[string]any{}
	filtered, err := propParam(params, q.PropertyID)
	if err != nil {
		return Summary{}, err
	}
	asOfParams(params, q.AsOf)
	sql := statement(summarySQL, ds, asOfWhere, "property_id", filtered)
	rows, err := s.query(ctx, "summary", sql, params)
	if err != nil {
		return Summary{}, err
	}
	out := Summary{PropertyID: optString(q.PropertyID), Properties: []SummaryProperty{}, ByUnitType: []UnitTypeMetrics{},
		ByBedrooms: []BedroomMetrics{}, ByPropertyUnitType: []PropertyUnitTypeMetrics{}}
	var rd resultReader
	var total sums
	type propType struct{ property, unitType string }
	byProp := map[string]*sums{}
	propAsOf := map[string]time.Time{}
	byType := map[string]*sums{}
	byBeds := map[int64]*sums{} // -1: no bedroom count
	byPropType := map[propType]*sums{}
	addTo := func(m map[string]*sums, k string, sm sums) {
		if m[k] == nil {
			m[k] = &sums{}
		}
		m[k].add(sm)
	}
	for _, r := range rows {
		sm := rd.sums(r)
		pid, ut := rd.str(r, "property_id"), rd.str(r, "unit_type_key")
		if d := rd.date(r, "as_of"); d.After(propAsOf[pid]) {
			propAsOf[pid] = d
		}
		total.add(sm)
		addTo(byProp, pid, sm)
		addTo(byType, ut, sm)
		beds := int64(-1)
		if b, ok := rd.float(r, "beds"); ok && b >= 0 {
			beds = int64(math.Floor(b))
		}
		if byBeds[beds] == nil {
			byBeds[beds] = &sums{}
		}
		byBeds[beds].add(sm)
		k := propType{pid, ut}
		if byPropType[k] == nil {
			byPropType[k] = &sums{}
		}
		byPropType[k].add(sm)
	}
	if rd.err != nil {
		return Summary{}, rd.err
	}
	var asOf time.Time
	for _, d := range propAsOf {
		if d.After(asOf) {
			asOf = d
		}
	}
	requested := MonthOf(asOf)
	if !q.AsOf.IsZero() {
		requested = MonthOf(q.AsOf)
	}
	for pid, sm := range byProp {
		d := propAsOf[pid]
		out.Properties = append(out.Properties, SummaryProperty{PropertyID: pid, AsOf: dateString(d),
			Stale: MonthOf(d).Index() < requested.Index(), Units: sm.units})
	}
	sort.Slice(out.Properties, func(i, j int) bool { return out.Properties[i].PropertyID < out.Properties[j].PropertyID })
	for ut, sm := range byType {
		out.ByUnitType = append(out.ByUnitType, UnitTypeMetrics{UnitType: ut, Metrics: sm.metrics()})
	}
	sort.Slice(out.ByUnitType, func(i, j int) bool { return out.ByUnitType[i].UnitType < out.ByUnitType[j].UnitType })
	for b, sm := range byBeds {
		e := BedroomMetrics{Metrics: sm.metrics()}
		if b >= 0 {
			e.Bedrooms = &b
		}
		out.ByBedrooms = append(out.ByBedrooms, e)
	}
	sort.Slice(out.ByBedrooms, func(i, j int) bool { return bedKey(out.ByBedrooms[i].Bedrooms) < bedKey(out.ByBedrooms[j].Bedrooms) })
	for k, sm := range byPropType {
		out.ByPropertyUnitType = append(out.ByPropertyUnitType, PropertyUnitTypeMetrics{PropertyID: k.property, UnitType: k.unitType, Metrics: sm.metrics()})
	}
	sort.Slice(out.ByPropertyUnitType, func(i, j int) bool {
		a, b := out.ByPropertyUnitType[i], out.ByPropertyUnitType[j]
		if a.PropertyID != b.PropertyID {
			return a.PropertyID < b.PropertyID
		}
		return a.UnitType < b.UnitType
	})
	out.Totals = total.metrics()
	out.Data = total.units > 0
	if out.Data {
		out.AsOf = optString(dateString(asOf))
	}
	return out, nil
}

// bedKey orders bedroom counts with the unknown (nil) first.
func bedKey(b *int64) int64 {
	if b == nil {
		return -1
	}
	return *b
}

// Expirations answers the lease-expiration schedule over the latest loaded
// roll of each property, counted from each roll's as_of date: per month
// from q.From, the occupied units still on their term whose lease_end falls
// in that month; units on notice, renewed, month-to-month and without a
// lease end apart. Every month of the range is present.
func (s *Service) Expirations(ctx context.Context, clientID string, q ExpirationsQuery) (Expirations, error) {
	ds, err := dataset(clientID)
	if err != nil {
		return Expirations{}, err
	}
	if q.Months == 0 {
		q.Months = DefaultExpirationMonths
	}
	if q.Months < 1 || q.Months > MaxExpirationMonths {
		return Expirations{}, errs.E(errs.Invalid, "months must be from 1 to %d", MaxExpirationMonths)
	}
	params := map[string]any{}
	byProp, err := propParam(params, q.PropertyID)
	if err != nil {
		return Expirations{}, err
	}
	sql := statement(expirationsSQL, ds, "{prop}", "property_id", byProp)
	rows, err := s.query(ctx, "expirations", sql, params)
	if err != nil {
		return Expirations{}, err
	}
	var rd resultReader
	var asOf time.Time
	for _, r := range rows {
		if d := rd.date(r, "as_of"); d.After(asOf) {
			asOf = d
		}
	}
	if q.From.IsZero() {
		q.From = MonthOf(asOf)
		if asOf.IsZero() {
			q.From = MonthOf(s.now())
		}
	}
	out := Expirations{PropertyID: optString(q.PropertyID), From: q.From, Months: q.Months,
		Expirations: make([]ExpirationMonth, q.Months)}
	for i := range out.Expirations {
		out.Expirations[i].Month = q.From.Add(i)
	}
	type bucket struct{ n, lease, market int64 }
	byMonth := map[int]bucket{}
	for _, r := range rows {
		n := rd.int(r, "n")
		out.Occupied += n
		switch rd.str(r, "bucket") {
		case "notice":
			out.Notice += n
			continue
		case "renewed":
			out.Renewed += n
			continue
		case "no_lease_end":
			out.NoLeaseEnd += n
			continue
		case "month_to_month":
			out.MonthToMonth += n
			continue
		case "term":
		default:
			continue
		}
		idx := Month{int(rd.int(r, "y")), time.Month(rd.int(r, "m"))}.Index() - q.From.Index()
		switch {
		case idx < 0:
			out.BeforeFrom += n
		case idx >= q.Months:
			out.After += n
		default:
			b := byMonth[idx]
			b.n += n
			b.lease += rd.cents(r, "lease_rent")
			b.market += rd.cents(r, "market_rent")
			byMonth[idx] = b
		}
	}
	if rd.err != nil {
		return Expirations{}, rd.err
	}
	for i := range out.Expirations {
		b := byMonth[i]
		e := &out.Expirations[i]
		e.Units, e.LeaseRent, e.MarketRent = b.n, Money(b.lease), Money(b.market)
		e.PctOfOccupied = ratioOf(b.n, out.Occupied)
	}
	out.Data = !asOf.IsZero()
	if out.Data {
		out.AsOf = optString(dateString(asOf))
	}
	return out, nil
}

// Trend answers the totals for each month q.From..q.To (at most
// MaxTrendMonths): for month M, the latest loaded roll of each property with
// as_of_date in or before M (a property without a new roll carries its last
// one forward, as in the summary at M's last day).
func (s *Service) Trend(ctx context.Context, clientID string, q TrendQuery) (Trend, error) {
	ds, err := dataset(clientID)
	if err != nil {
		return Trend{}, err
	}
	if q.From.IsZero() || q.To.IsZero() {
		return Trend{}, errs.E(errs.Invalid, "from and to months are required")
	}
	n := q.To.Index() - q.From.Index() + 1
	if n < 1 {
		return Trend{}, errs.E(errs.Invalid, "from must not be after to")
	}
	if n > MaxTrendMonths {
		return Trend{}, errs.E(errs.Invalid, "a trend covers at most %d months", MaxTrendMonths)
	}
	params := map[string]any{
		"from_month": dateString(q.From.Start()),
		"to_month":   dateString(q.To.Start()),
	}
	byProp, err := propParam(params, q.PropertyID)
	if err != nil {
		return Trend{}, err
	}
	where := "\n      AND month_start <= CAST(@to_month AS DATE){prop}"
	sql := statement(trendSQL, ds, where, "property_id, month_start", byProp)
	rows, err := s.query(ctx, "trend", sql, params)
	if err != nil {
		return Trend{}, err
	}
	type point struct {
		idx   int
		month TrendMonth
	}
	var rd resultReader
	points := make([]point, 0, len(rows))
	for _, r := range rows {
		sm := rd.sums(r)
		tm := TrendMonth{Properties: rd.int(r, "properties"), Metrics: sm.metrics(), Data: sm.units > 0}
		if tm.Data {
			tm.AsOf = optString(dateString(rd.date(r, "as_of")))
		}
		points = append(points, point{MonthOf(rd.date(r, "point")).Index(), tm})
	}
	if rd.err != nil {
		return Trend{}, rd.err
	}
	sort.Slice(points, func(i, j int) bool { return points[i].idx < points[j].idx })
	out := Trend{PropertyID: optString(q.PropertyID), From: q.From, To: q.To, Months: make([]TrendMonth, n)}
	empty := sums{}.metrics()
	p := -1
	for i := range out.Months {
		m := q.From.Add(i)
		for p+1 < len(points) && points[p+1].idx <= m.Index() {
			p++
		}
		if p >= 0 {
			out.Months[i] = points[p].month
		} else {
			out.Months[i] = TrendMonth{Metrics: empty}
		}
		out.Months[i].Month = m
		out.Data = out.Data || out.Months[i].Data
	}
	return out, nil
}

// Properties lists the properties seen in loaded rent rolls, by id, each with
// its latest roll's date, name and unit count.
func (s *Service) Properties(ctx context.Context, clientID string) ([]Property, error) {
	ds, err := dataset(clientID)
	if err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, "properties", statement(propertiesSQL, ds, "", "property_id", false), map[string]any{})
	if err != nil {
		return nil, err
	}
	var rd resultReader
	out := make([]Property, 0, len(rows))
	for _, r := range rows {
		out = append(out, Property{
			PropertyID:   rd.str(r, "property_id"),
			PropertyName: rd.str(r, "property_name"),
			AsOf:         dateString(rd.date(r, "as_of_date")),
			Units:        rd.int(r, "units"),
		})
	}
	if rd.err != nil {
		return nil, rd.err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PropertyID < out[j].PropertyID })
	return out, nil
}

// summaryConcurrency bounds the per-client queries AllClientsSummary runs at once.
const summaryConcurrency = 4

// AllClientsSummary answers GET /v1/admin/summary: per client the units,
// occupancy and GPR of the latest loaded roll of each property, the time of
// the last loaded upload and the number of uploads loaded this calendar month
// (UTC); plus totals. Each client is read from its own dataset, named from
// its registry id. A client whose dataset cannot be read is listed with
// Available false (the cause is logged) rather than failing the whole answer.
func (s *Service) AllClientsSummary(ctx context.Context, clients []tenancy.Client) (AllClients, error) {
	now := s.now()
	month := MonthOf(now)
	out := AllClients{GeneratedAt: now.Format(time.RFC3339), Month: month, Clients: make([]ClientSummary, len(clients))}
	var wg sync.WaitGroup
	sem := make(chan struct{}, summaryConcurrency)
	errsByClient := make([]error, len(clients))
	for i, c := range clients {
		out.Clients[i] = ClientSummary{ClientID: c.ID, Name: c.Name, Status: string(c.Status)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errsByClient[i] = errs.Wrap(ctx.Err(), errs.Transient, "cancelled")
				return
			}
			defer func() { <-sem }()
			errsByClient[i] = s.clientSummary(ctx, &out.Clients[i], month)
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return AllClients{}, errs.Wrap(ctx.Err(), errs.Transient, "cross-client summary cancelled")
	}
	t := &out.Totals
	for i, c := range out.Clients {
		if err := errsByClient[i]; err != nil {
			s.log().ErrorContext(ctx, "cross-client summary: client unavailable", "client_id", c.ClientID, "error", err.Error())
			t.Unavailable++
			continue
		}
		t.Clients++
		t.Units += c.Units
		t.Occupied += c.Occupied
		t.GPR += c.GPR
		t.UploadsThisMonth += c.UploadsThisMonth
	}
	t.PhysicalOccupancy = ratioOf(t.Occupied, t.Units)
	return out, nil
}

func (s *Service) clientSummary(ctx context.Context, cs *ClientSummary, month Month) error {
	ds, err := dataset(cs.ClientID)
	if err != nil {
		return err
	}
	params := map[string]any{
		"month_start":      month.Start(),
		"next_month_start": month.Add(1).Start(),
	}
	rows, err := s.query(ctx, "client summary", statement(clientSummarySQL, ds, "", "property_id", false), params)
	if err != nil {
		return err
	}
	if len(rows) != 1 {
		return errs.E(errs.Internal, "client summary: %d rows, want 1", len(rows))
	}
	var rd resultReader
	r := rows[0]
	cs.Units = rd.int(r, "units")
	cs.Occupied = rd.int(r, "occupied")
	cs.GPR = Money(rd.cents(r, "gpr"))
	cs.PhysicalOccupancy = ratioOf(cs.Occupied, cs.Units)
	if t := rd.date(r, "last_upload_at"); !t.IsZero() {
		cs.LastUploadAt = optString(t.UTC().Format(time.RFC3339))
	}
	cs.UploadsThisMonth = rd.int(r, "uploads_this_month")
	if rd.err != nil {
		return rd.err
	}
	cs.Available = true
	return nil
}
