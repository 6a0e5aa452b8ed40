// Package api is the wire format of the HTTP API: the named type of every
// JSON body the functions answer or accept that is not a domain type as it
// is. Handlers encode these types, the CLI and the tests decode them, and
// platform's OpenAPI test compares each one field by field with
// platform/openapi.json, so the code, its clients and the published
// contract cannot drift apart.
//
// Domain structs that already carry their JSON tags (tenancy.Client,
// uploads.Upload, analytics.Summary, billing.RunView, …) are answered as
// they are and are not copied here; this package holds the envelopes
// around them (pages of lists, {"plans": …}, {"months": …}) and the few
// answers that combine two domain values. It imports domain packages only,
// never a cloud SDK or the HTTP layer, so any package may import it.
package api

import (
	"rentroll.ai/rentroll/shared/analytics"
	"rentroll.ai/rentroll/shared/audit"
	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/chargecodes"
	"rentroll.ai/rentroll/shared/objects"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/uploads"
)

// The lists of the API, each a Page under the key it has always had.
type (
	// ClientList answers GET /v1/admin/clients: {clients, next_page_token}.
	ClientList = Page[tenancy.Client, clientsKey]
	// UserList answers GET /v1/clients/{cid}/users: {users, next_page_token}.
	UserList = Page[tenancy.User, usersKey]
	// AuditList answers GET /v1/admin/audit: {entries, next_page_token}.
	AuditList = Page[audit.Entry, entriesKey]
	// UploadList answers GET /v1/clients/{cid}/uploads: {uploads, next_page_token}.
	UploadList = Page[uploads.Upload, uploadsKey]
	// PropertyList answers GET /v1/clients/{cid}/properties: {properties, next_page_token}.
	PropertyList = Page[PropertyWithStatus, propertiesKey]
)

type (
	clientsKey    struct{}
	usersKey      struct{}
	entriesKey    struct{}
	uploadsKey    struct{}
	propertiesKey struct{}
)

func (clientsKey) Key() string    { return "clients" }
func (usersKey) Key() string      { return "users" }
func (entriesKey) Key() string    { return "entries" }
func (uploadsKey) Key() string    { return "uploads" }
func (propertiesKey) Key() string { return "properties" }

// UploadTicket answers POST /v1/clients/{cid}/uploads: the new upload's id
// and object name, and the signed PUT the file is sent with.
type UploadTicket struct {
	UploadID string `json:"upload_id"`
	Object   string `json:"object"`
	objects.SignedPut
}

// PropertyWithStatus is an item of the property list: the property, its
// billing status this month (active, inactive or stale) and the as-of date
// of its latest loaded roll.
type PropertyWithStatus struct {
	analytics.Property
	Status   string `json:"status"`
	LastRoll string `json:"last_roll"`
}

// PropertyStatusPatch is the body of PATCH /v1/clients/{cid}/properties/{pid}.
type PropertyStatusPatch struct {
	Status         string `json:"status"`
	EffectiveMonth string `json:"effective_month"`
}

// PropertyLifecycle answers that PATCH: the property's status this month and
// every change of it.
type PropertyLifecycle struct {
	PropertyID string                 `json:"property_id"`
	Status     string                 `json:"status"`
	Changes    []billing.StatusChange `json:"changes"`
}

// FloorplansPut is the body of PUT …/properties/{pid}/floorplans; the answer
// is analytics.Floorplans.
type FloorplansPut struct {
	Floorplans []analytics.Floorplan `json:"floorplans"`
}

// UserPatch is the body of PATCH /v1/clients/{cid}/users/{sub}; a nil field
// stays as it is.
type UserPatch struct {
	Role     *tenancy.Role `json:"role,omitempty"`
	Disabled *bool         `json:"disabled,omitempty"`
}

// ClientUpdate is the body of PATCH /v1/admin/clients/{cid}: the registry
// fields (name, status, billing_email) and the pricing fields (plan_id,
// unit_price, effective_month, stripe_customer_id) in one object.
type ClientUpdate struct {
	tenancy.ClientPatch
	billing.PricingPatch
}

// ClientWithPricing answers that PATCH: the client, with its pricing when
// the request changed it.
type ClientWithPricing struct {
	tenancy.Client
	Pricing *billing.PricingView `json:"pricing,omitempty"`
}

// PlanList is the price list, answered by GET and accepted and answered by
// PUT /v1/admin/plans.
type PlanList struct {
	Plans []billing.Plan `json:"plans"`
}

// ClientBillingUnits answers GET /v1/clients/{cid}/billing/units: the
// client's billed months, oldest first.
type ClientBillingUnits struct {
	Months []billing.MonthUnits `json:"months"`
}

// BillingRunRequest is the body of POST /v1/admin/billing/runs and of the
// scheduler's POST /v1/billing/runs (where it is optional).
type BillingRunRequest struct {
	Month string `json:"month"`
}

// BillingSyncRequest is the optional body of POST /v1/admin/billing/sync;
// without a month every pending month of the last year is synced.
type BillingSyncRequest struct {
	Month string `json:"month,omitempty"`
}

// BillingSync answers POST /v1/admin/billing/sync: each month's usage
// report after the sync.
type BillingSync struct {
	Months []billing.Synced `json:"months"`
}

// ChargeCodes is a client's charge-code overrides, the body and the answer
// of GET and PUT /v1/clients/{cid}/charge-codes.
type ChargeCodes struct {
	ChargeCodes []chargecodes.Override `json:"charge_codes"`
}

// Health answers GET /healthz.
type Health struct {
	Status string `json:"status"`
}
