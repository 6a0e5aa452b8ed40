package platform

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"rentroll.ai/rentroll/shared/analytics"
	"rentroll.ai/rentroll/shared/api"
	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/uploads"
	"rentroll.ai/rentroll/shared/web"
)

// wire is what an operation's handler decodes and encodes: the Go type of
// its JSON request body and of its JSON 2xx answer (nil: none), or, for the
// two documents the platform serves but does not build from a Go type, why
// the operation is not compared.
type wire struct {
	request, response reflect.Type
	unchecked         string
}

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

// operationTypes maps every operation of platform/openapi.json (by
// operationId, which is the route's name) to its wire types. The test checks
// that it names every operation and nothing else, so a new route cannot go
// unchecked.
var operationTypes = map[string]wire{
	"healthz": {response: typeOf[api.Health]()},
	"jwks":    {unchecked: "the local issuer's RFC 7517 key set, written by shared/auth/localissuer"},
	"openapi": {unchecked: "the OpenAPI document itself, served as embedded bytes"},
	"me":      {response: typeOf[tenancy.Principal]()},

	"uploads.create":   {request: typeOf[uploads.Request](), response: typeOf[api.UploadTicket]()},
	"uploads.list":     {response: typeOf[api.UploadList]()},
	"uploads.get":      {response: typeOf[uploads.Upload]()},
	"uploads.withdraw": {response: typeOf[uploads.Upload]()},
	"uploads.report":   {response: typeOf[uploads.Report]()}, // and text/csv

	"properties.list":       {response: typeOf[api.PropertyList]()},
	"properties.update":     {request: typeOf[api.PropertyStatusPatch](), response: typeOf[api.PropertyLifecycle]()},
	"analytics.summary":     {response: typeOf[analytics.Summary]()},
	"analytics.expirations": {response: typeOf[analytics.Expirations]()},
	"analytics.trend":       {response: typeOf[analytics.Trend]()},
	"analytics.competition": {response: typeOf[analytics.Competition]()},
	"analytics.changes":     {response: typeOf[analytics.Changes]()},
	"floorplans.get":        {response: typeOf[analytics.Floorplans]()},
	"floorplans.put":        {request: typeOf[api.FloorplansPut](), response: typeOf[analytics.Floorplans]()},

	"users.list":       {response: typeOf[api.UserList]()},
	"users.put":        {request: typeOf[tenancy.NewUser](), response: typeOf[tenancy.InvitedUser]()},
	"users.delete":     {}, // 204, no body
	"users.update":     {request: typeOf[api.UserPatch](), response: typeOf[tenancy.User]()},
	"charge_codes.get": {response: typeOf[api.ChargeCodes]()},
	"charge_codes.put": {request: typeOf[api.ChargeCodes](), response: typeOf[api.ChargeCodes]()},
	"billing.units":    {response: typeOf[api.ClientBillingUnits]()},

	"clients.create": {request: typeOf[tenancy.NewClient](), response: typeOf[tenancy.Onboarded]()},
	"clients.list":   {response: typeOf[api.ClientList]()},
	"clients.get":    {response: typeOf[tenancy.Client]()},
	"clients.update": {request: typeOf[api.ClientUpdate](), response: typeOf[api.ClientWithPricing]()},
	"admin.summary":  {response: typeOf[analytics.AllClients]()},
	"admin.usage":    {response: typeOf[billing.Usage]()},
	"admin.audit":    {response: typeOf[api.AuditList]()},

	"billing.run":           {request: typeOf[api.BillingRunRequest](), response: typeOf[billing.RunView]()},
	"billing.run.get":       {response: typeOf[billing.RunView]()},
	"billing.run.export":    {}, // text/csv
	"billing.scheduled_run": {request: typeOf[api.BillingRunRequest](), response: typeOf[billing.RunView]()},
	"billing.plans.get":     {response: typeOf[api.PlanList]()},
	"billing.plans.put":     {request: typeOf[api.PlanList](), response: typeOf[api.PlanList]()},
	"billing.sync":          {request: typeOf[api.BillingSyncRequest](), response: typeOf[api.BillingSync]()},
}

// extraFields are the fields a type's own MarshalJSON adds to its struct
// fields: uploads.Upload says whether its issue lists were cut.
var extraFields = map[reflect.Type][]jsonField{
	typeOf[uploads.Upload](): {
		{name: "errors_truncated", typ: typeOf[bool]()},
		{name: "warnings_truncated", typ: typeOf[bool]()},
	},
}

// scalarWire is the JSON type of the types that encode themselves as one
// value: money as a number of dollars with cents, ratios as numbers,
// months and times as strings.
var scalarWire = map[reflect.Type]string{
	typeOf[time.Time]():       "string",
	typeOf[analytics.Money](): "number",
	typeOf[analytics.Ratio](): "number",
	typeOf[analytics.Month](): "string",
	typeOf[billing.Money]():   "number",
}

// jsonField is a field as encoding/json writes it.
type jsonField struct {
	name string
	typ  reflect.Type
	omit bool // omitempty or omitzero: absent rather than zero or null
}

// jsonFields lists t's fields as encoding/json encodes them: by their tag
// name, the fields of untagged embedded structs in line, "-" and unexported
// fields left out.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				out = append(out, jsonFields(et)...)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		o := strings.Split(opts, ",")
		out = append(out, jsonField{name: name, typ: f.Type, omit: slices.Contains(o, "omitempty") || slices.Contains(o, "omitzero")})
	}
	return out
}

// itemsKeyer is a api.Page: a list under its own key, with next_page_token.
type itemsKeyer interface{ ItemsKey() string }

var marshalerType = typeOf[json.Marshaler]()

// flatSchema is a schema with its allOf parts merged: the JSON type, the
// properties and the required names.
type flatSchema struct {
	types    []string
	props    map[string]*openapi3.SchemaRef
	required map[string]bool
	nullable bool
}

func flatten(s *openapi3.Schema) flatSchema {
	f := flatSchema{props: map[string]*openapi3.SchemaRef{}, required: map[string]bool{}, nullable: s.Nullable}
	f.types = s.Type.Slice()
	for name, p := range s.Properties {
		f.props[name] = p
	}
	for _, r := range s.Required {
		f.required[r] = true
	}
	for _, part := range s.AllOf {
		if part.Value == nil {
			continue
		}
		sub := flatten(part.Value)
		if len(f.types) == 0 {
			f.types = sub.types
		}
		for name, p := range sub.props {
			f.props[name] = p
		}
		for r := range sub.required {
			f.required[r] = true
		}
	}
	if len(f.types) == 0 && (len(f.props) > 0 || len(s.AllOf) > 0) {
		f.types = []string{"object"}
	}
	return f
}

// typeChecker compares Go types with OpenAPI schemas field by field.
type typeChecker struct {
	// request compares a request body: names and types only, since a field
	// a client may leave out decodes as its zero value whatever its tag.
	request bool
	seen    map[seenKey]bool
	out     []string
}

type seenKey struct {
	t reflect.Type
	s *openapi3.Schema
}

func (c *typeChecker) fail(at, format string, args ...any) {
	msg := at + ": " + fmt.Sprintf(format, args...)
	c.out = append(c.out, strings.ReplaceAll(msg, "rentroll.ai/rentroll/shared/", ""))
}

// schemaName names a schema for messages: its $ref, or (inline).
func schemaName(r *openapi3.SchemaRef) string {
	if r.Ref != "" {
		return strings.TrimPrefix(r.Ref, "#/components/schemas/")
	}
	return "(inline)"
}

// compare checks that the JSON t encodes to is what ref describes.
func (c *typeChecker) compare(at string, t reflect.Type, ref *openapi3.SchemaRef) {
	if ref == nil || ref.Value == nil {
		c.fail(at, "Go %s has no schema", t)
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	key := seenKey{t, ref.Value}
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	s := flatten(ref.Value)
	want := func(kind string) bool {
		if len(s.types) == 0 && kind != "object" {
			c.fail(at, "Go %s is a JSON %s; schema %s has no type", t, kind, schemaName(ref))
			return false
		}
		if len(s.types) > 0 && !slices.Contains(s.types, kind) {
			c.fail(at, "Go %s is a JSON %s; schema %s is %s", t, kind, schemaName(ref), strings.Join(s.types, "|"))
			return false
		}
		return true
	}
	if kind, ok := scalarWire[t]; ok {
		want(kind)
		return
	}
	if k, ok := reflect.Zero(t).Interface().(itemsKeyer); ok && t.Kind() == reflect.Struct {
		items, _ := t.FieldByName("Items")
		c.object(at, t, ref, s, []jsonField{{name: k.ItemsKey(), typ: items.Type}, {name: api.NextPageTokenKey, typ: typeOf[string]()}})
		return
	}
	extra, hasExtra := extraFields[t]
	if !hasExtra && (t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType)) {
		c.fail(at, "Go %s encodes itself (MarshalJSON); tell this test its JSON shape", t)
		return
	}
	switch t.Kind() {
	case reflect.String:
		want("string")
	case reflect.Bool:
		want("boolean")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		want("integer")
	case reflect.Float32, reflect.Float64:
		want("number")
	case reflect.Interface:
		// Any JSON value.
	case reflect.Slice, reflect.Array:
		if want("array") {
			c.compare(at+"[]", t.Elem(), ref.Value.Items)
		}
	case reflect.Map:
		if !want("object") {
			return
		}
		ap := ref.Value.AdditionalProperties
		switch {
		case ap.Schema != nil:
			c.compare(at+"{}", t.Elem(), ap.Schema)
		case ap.Has != nil && *ap.Has && t.Elem().Kind() == reflect.Interface:
		default:
			c.fail(at, "Go %s is a map; schema %s does not describe its values (additionalProperties)", t, schemaName(ref))
		}
	case reflect.Struct:
		c.object(at, t, ref, s, append(jsonFields(t), extra...))
	default:
		c.fail(at, "Go %s has no JSON encoding this test knows", t)
	}
}

// object compares a struct's JSON fields with an object schema's
// properties: the same names; for answers, a field is required exactly when
// it is always written and nullable exactly when it can be null; and each
// field's type with its property's schema.
func (c *typeChecker) object(at string, t reflect.Type, ref *openapi3.SchemaRef, s flatSchema, fields []jsonField) {
	if len(s.types) > 0 && !slices.Contains(s.types, "object") {
		c.fail(at, "Go %s is a JSON object; schema %s is %s", t, schemaName(ref), strings.Join(s.types, "|"))
		return
	}
	goNames := map[string]bool{}
	for _, f := range fields {
		fat := at + "." + f.name
		if goNames[f.name] {
			c.fail(fat, "Go %s writes %s twice", t, f.name)
			continue
		}
		goNames[f.name] = true
		prop, ok := s.props[f.name]
		if !ok {
			c.fail(fat, "field of Go %s is not in schema %s", t, schemaName(ref))
			continue
		}
		if !c.request {
			if want := !f.omit; want != s.required[f.name] {
				c.fail(fat, "Go %s %s it, schema %s %s", t, map[bool]string{true: "always writes", false: "may omit"}[want],
					schemaName(ref), map[bool]string{true: "requires it", false: "does not require it"}[s.required[f.name]])
			}
			canBeNull := f.typ.Kind() == reflect.Pointer && !f.omit
			if prop.Value != nil && canBeNull && !prop.Value.Nullable {
				c.fail(fat, "Go %s can be null, schema says not nullable", f.typ)
			}
			if prop.Value != nil && prop.Value.Nullable && !canBeNull && !slices.Contains([]reflect.Kind{reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface}, f.typ.Kind()) {
				c.fail(fat, "Go %s is never null, schema says nullable", f.typ)
			}
		}
		c.compare(fat, f.typ, prop)
	}
	var missing []string
	for name := range s.props {
		if !goNames[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	for _, name := range missing {
		c.fail(at+"."+name, "in schema %s, not written by Go %s", schemaName(ref), t)
	}
	if !c.request {
		for name := range s.required {
			if !goNames[name] && s.props[name] == nil {
				c.fail(at+"."+name, "required by schema %s but neither a property nor a field of Go %s", schemaName(ref), t)
			}
		}
	}
}

// jsonSchemaOf returns the application/json schema of content, if any.
func jsonSchemaOf(content openapi3.Content) *openapi3.SchemaRef {
	if mt := content.Get("application/json"); mt != nil {
		return mt.Schema
	}
	return nil
}

// typeMismatches compares every operation of doc with its entry of table:
// each JSON 2xx answer with the response type, the JSON request body with
// the request type, and the table with the document's operations. It
// returns the differences, sorted.
func typeMismatches(doc *openapi3.T, table map[string]wire) []string {
	var out []string
	described := map[string]bool{}
	// One checker for answers and one for requests over the whole document,
	// in path order, so a schema shared by several operations is reported
	// once, at the first of them.
	answerCheck := &typeChecker{seen: map[seenKey]bool{}}
	requestCheck := &typeChecker{request: true, seen: map[seenKey]bool{}}
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		ops := item.Operations()
		for _, method := range slices.Sorted(maps.Keys(ops)) {
			op := ops[method]
			id := op.OperationID
			described[id] = true
			key := fmt.Sprintf("%s %s (%s)", method, path, id)
			w, ok := table[id]
			if !ok {
				out = append(out, key+": no entry in operationTypes")
				continue
			}
			if w.unchecked != "" {
				continue
			}
			answers := 0
			if op.Responses != nil {
				for _, code := range slices.Sorted(maps.Keys(op.Responses.Map())) {
					r := op.Responses.Value(code)
					if !strings.HasPrefix(code, "2") || r == nil || r.Value == nil {
						continue
					}
					s := jsonSchemaOf(r.Value.Content)
					switch {
					case s == nil:
						continue
					case w.response == nil:
						out = append(out, fmt.Sprintf("%s %s: a JSON answer is described, the handler writes none", key, code))
						continue
					}
					answers++
					answerCheck.compare(fmt.Sprintf("%s %s", key, code), w.response, s)
				}
			}
			if w.response != nil && answers == 0 {
				out = append(out, fmt.Sprintf("%s: the handler answers Go %s, no JSON 2xx answer is described", key, w.response))
			}
			var body *openapi3.SchemaRef
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				body = jsonSchemaOf(op.RequestBody.Value.Content)
			}
			switch {
			case body == nil && w.request != nil:
				out = append(out, fmt.Sprintf("%s: the handler decodes Go %s, no JSON request body is described", key, w.request))
			case body != nil && w.request == nil:
				out = append(out, fmt.Sprintf("%s: a JSON request body is described, the handler decodes none", key))
			case body != nil:
				requestCheck.compare(key+" request", w.request, body)
			}
		}
	}
	out = append(append(out, answerCheck.out...), requestCheck.out...)
	for id := range table {
		if !described[id] {
			out = append(out, fmt.Sprintf("operationTypes names %s, which the document does not describe", id))
		}
	}
	sort.Strings(out)
	return out
}

// TestOpenAPIMatchesWireTypes compares, for every operation, the Go type its
// handler answers (and decodes) with the schema the document gives it,
// field by field: names from the JSON tags, JSON types, arrays, maps and
// nested objects through $ref and allOf, required and nullable fields. It
// also compares the one error body with web.ErrorBody.
func TestOpenAPIMatchesWireTypes(t *testing.T) {
	doc := loadOpenAPI(t, OpenAPIDocument())
	if got := typeMismatches(doc, operationTypes); len(got) > 0 {
		t.Errorf("the document and the Go types disagree (%d):\n%s", len(got), strings.Join(got, "\n"))
	}
	c := &typeChecker{seen: map[seenKey]bool{}}
	c.compare("Error", typeOf[web.ErrorBody](), doc.Components.Schemas["Error"])
	if len(c.out) > 0 {
		t.Errorf("the error schema and web.ErrorBody disagree:\n%s", strings.Join(c.out, "\n"))
	}
}

// TestOperationTypesNameEveryRoute checks the table against the route table
// itself, so that a served route the document forgot is caught here too.
func TestOperationTypesNameEveryRoute(t *testing.T) {
	for _, rt := range servedRoutes(t) {
		if _, ok := operationTypes[rt.Name]; !ok {
			t.Errorf("route %s (%s %s) has no entry in operationTypes", rt.Name, rt.Method, rt.Path)
		}
	}
}

// principalWithTenant is an answer with a field the document does not have.
type principalWithTenant struct {
	tenancy.Principal
	Tenant string `json:"tenant"`
}

// TestTypeComparisonFails feeds modified copies of the document and of the
// table to typeMismatches and checks that each difference is reported, so
// TestOpenAPIMatchesWireTypes cannot pass vacuously.
func TestTypeComparisonFails(t *testing.T) {
	schemaOf := func(m map[string]any, name string) map[string]any {
		return m["components"].(map[string]any)["schemas"].(map[string]any)[name].(map[string]any)
	}
	propsOf := func(m map[string]any, name string) map[string]any {
		return schemaOf(m, name)["properties"].(map[string]any)
	}
	cases := []struct {
		name  string
		edit  func(m map[string]any)
		table func(map[string]wire)
		want  []string
	}{
		{name: "unchanged"},
		{
			name: "property missing from the schema",
			edit: func(m map[string]any) { delete(propsOf(m, "Principal"), "email") },
			want: []string{"GET /v1/me (me) 200.email: field of Go tenancy.Principal is not in schema Principal"},
		},
		{
			name: "property the type does not write",
			edit: func(m map[string]any) { propsOf(m, "Principal")["tenant"] = map[string]any{"type": "string"} },
			want: []string{"GET /v1/me (me) 200.tenant: in schema Principal, not written by Go tenancy.Principal"},
		},
		{
			name: "optional field required",
			edit: func(m map[string]any) {
				schemaOf(m, "Principal")["required"] = []any{"sub", "role", "client_id", "email"}
			},
			want: []string{"GET /v1/me (me) 200.email: Go tenancy.Principal may omit it, schema Principal requires it"},
		},
		{
			name: "page token not required",
			edit: func(m map[string]any) { schemaOf(m, "UserList")["required"] = []any{"users"} },
			want: []string{"GET /v1/clients/{cid}/users (users.list) 200.next_page_token: Go api.Page[tenancy.User,api.usersKey] always writes it, schema UserList does not require it"},
		},
		{
			name: "pointer not nullable",
			edit: func(m map[string]any) { delete(propsOf(m, "Summary")["as_of"].(map[string]any), "nullable") },
			want: []string{"GET /v1/clients/{cid}/analytics/rent-roll/summary (analytics.summary) 200.as_of: Go *string can be null, schema says not nullable"},
		},
		{
			name: "value nullable",
			edit: func(m map[string]any) { propsOf(m, "Summary")["data"].(map[string]any)["nullable"] = true },
			want: []string{"GET /v1/clients/{cid}/analytics/rent-roll/summary (analytics.summary) 200.data: Go bool is never null, schema says nullable"},
		},
		{
			name: "wrong type",
			edit: func(m map[string]any) { propsOf(m, "Upload")["size_bytes"] = map[string]any{"type": "string"} },
			want: []string{"GET /v1/clients/{cid}/uploads (uploads.list) 200.uploads[].size_bytes: Go int64 is a JSON integer; schema (inline) is string"},
		},
		{
			name: "wrong array items",
			edit: func(m map[string]any) {
				propsOf(m, "AuditList")["entries"] = map[string]any{"type": "array", "items": map[string]any{"type": "string"}}
			},
			want: []string{"GET /v1/admin/audit (admin.audit) 200.entries[]: Go audit.Entry is a JSON object; schema (inline) is string"},
		},
		{
			name: "wrong map values",
			edit: func(m map[string]any) {
				propsOf(m, "Usage")["amount_totals"] = map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}}
			},
			want: []string{"GET /v1/admin/usage (admin.usage) 200.amount_totals{}: Go billing.Money is a JSON number; schema (inline) is string"},
		},
		{
			name: "request field missing",
			edit: func(m map[string]any) { delete(propsOf(m, "ClientUpdate"), "stripe_customer_id") },
			want: []string{"PATCH /v1/admin/clients/{cid} (clients.update) request.stripe_customer_id: field of Go api.ClientUpdate is not in schema ClientUpdate"},
		},
		{
			name:  "operation without an entry",
			table: func(w map[string]wire) { delete(w, "me") },
			want:  []string{"GET /v1/me (me): no entry in operationTypes"},
		},
		{
			name:  "entry without an operation",
			table: func(w map[string]wire) { w["me.legacy"] = wire{response: typeOf[tenancy.Principal]()} },
			want:  []string{"operationTypes names me.legacy, which the document does not describe"},
		},
		{
			name: "answer with a field the document lacks",
			table: func(w map[string]wire) {
				w["me"] = wire{response: typeOf[principalWithTenant]()}
			},
			want: []string{"GET /v1/me (me) 200.tenant: field of Go platform.principalWithTenant is not in schema Principal"},
		},
		{
			name:  "answer that encodes itself",
			table: func(w map[string]wire) { w["me"] = wire{response: typeOf[json.RawMessage]()} },
			want:  []string{"GET /v1/me (me) 200: Go json.RawMessage encodes itself (MarshalJSON); tell this test its JSON shape"},
		},
		{
			name:  "JSON answer of a route without one",
			table: func(w map[string]wire) { w["users.delete"] = wire{response: typeOf[tenancy.User]()} },
			want:  []string{"DELETE /v1/clients/{cid}/users/{sub} (users.delete): the handler answers Go tenancy.User, no JSON 2xx answer is described"},
		},
		{
			name:  "request body not decoded",
			table: func(w map[string]wire) { w["uploads.create"] = wire{response: typeOf[api.UploadTicket]()} },
			want:  []string{"POST /v1/clients/{cid}/uploads (uploads.create): a JSON request body is described, the handler decodes none"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := editedDocument(t, tc.edit)
			table := maps.Clone(operationTypes)
			if tc.table != nil {
				tc.table(table)
			}
			got := typeMismatches(loadOpenAPI(t, b), table)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %d mismatches:\n%s\nwant:\n%s", len(got), strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
