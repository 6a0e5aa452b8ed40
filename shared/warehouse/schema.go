package warehouse

// The datasets and tables of docs/architecture.md#data-model, declared once. Both adapters provision
// exactly these; tests check that they do.

// The shared dataset names.
const (
	SystemDataset     = "system"
	SuperAdminDataset = "super_admin"
)

// Table names.
const (
	TableClients              = "clients"
	TableUsers                = "users"
	TableBillingUnits         = "billing_units"
	TableAuditLogs            = "audit_logs"
	TableRentRollUploads      = "rent_roll_uploads"
	TableCompetitionUploads   = "competition_uploads"
	TableAnalyticsRentRoll    = "analytics_rent_roll"
	TableAnalyticsCompetition = "analytics_competition"
	TableUploadMetadata       = "upload_metadata"
	TableAnalyticsCharges     = "analytics_charges"
	TableAllClientsSummary    = "all_clients_summary"
	TableUsageAnalytics       = "usage_analytics"
)

// TableFloorplans holds a client's edited floorplans (code → beds, baths,
// sqft per property); the rolls' beds and baths seed the rest (docs/metrics.md).
const TableFloorplans = "floorplans"

func col(name string, t Type) Column      { return Column{Name: name, Type: t} }
func required(name string, t Type) Column { return Column{Name: name, Type: t, Required: true} }

// System is the platform-wide dataset.
func System() Dataset {
	return Dataset{Name: SystemDataset, Tables: []Table{
		{Name: TableClients, Columns: []Column{
			required("client_id", String), col("name", String), col("status", String),
			col("dataset", String), col("billing_email", String),
			col("created_at", Timestamp), col("updated_at", Timestamp),
		}},
		{Name: TableUsers, Columns: []Column{
			required("sub", String), col("email", String), col("role", String), col("client_id", String),
			col("disabled", Bool), col("created_at", Timestamp), col("updated_at", Timestamp),
		}},
		{Name: TableBillingUnits, PartitionBy: "month_start", ClusterBy: []string{"client_id"}, Columns: []Column{
			required("client_id", String), col("client_name", String), col("status", String),
			required("month", String), required("month_start", Date),
			col("units", Int64), col("properties", Int64), col("carried_forward_properties", Int64),
			col("run_id", String), col("computed_at", Timestamp),
			// Pricing: the terms the client was billed at, the amount, and the
			// properties left unbilled as stale (a JSON array of ids).
			col("plan_id", String), col("unit_price", Money), col("minimum_monthly", Money),
			col("amount", Money), col("currency", String), col("stale_properties", String),
		}},
		{Name: TableAuditLogs, PartitionBy: "day", ClusterBy: []string{"client_id"}, Columns: []Column{
			required("time", Timestamp), required("day", Date), col("request_id", String),
			col("actor_sub", String), col("actor_role", String), col("client_id", String),
			col("action", String), col("resource", String), col("outcome", String),
			col("status", Int64), col("remote_addr", String),
		}},
	}}
}

// SuperAdmin is the operator's cross-client dataset.
func SuperAdmin() Dataset {
	return Dataset{Name: SuperAdminDataset, Tables: []Table{
		{Name: TableAllClientsSummary, Columns: []Column{
			required("client_id", String), col("client_name", String), col("status", String),
			col("units", Int64), col("occupied", Int64), col("physical_occupancy", Float64),
			col("gpr", Money), col("last_upload_at", Timestamp), col("uploads_this_month", Int64),
			col("updated_at", Timestamp),
		}},
		{Name: TableUsageAnalytics, Columns: []Column{
			required("client_id", String), required("month", String),
			col("uploads", Int64), col("rows_loaded", Int64), col("api_requests", Int64),
			col("updated_at", Timestamp),
		}},
	}}
}

// Client is the dataset of one client; name comes from tenancy.DatasetName.
func Client(name string) Dataset {
	return Dataset{Name: name, Tables: []Table{
		{Name: TableRentRollUploads, ClusterBy: []string{"upload_id"}, Columns: []Column{
			required("client_id", String), required("upload_id", String), required("row_number", Int64),
			col("cells", String), // the raw row as a JSON array of strings
			col("loaded_at", Timestamp),
		}},
		{Name: TableCompetitionUploads, ClusterBy: []string{"upload_id"}, Columns: []Column{
			required("client_id", String), required("upload_id", String), required("row_number", Int64),
			col("cells", String), col("loaded_at", Timestamp),
		}},
		{Name: TableAnalyticsRentRoll, PartitionBy: "month_start", ClusterBy: []string{"property_id", "unit_type"}, Columns: []Column{
			required("client_id", String), required("upload_id", String),
			required("property_id", String), col("property_name", String),
			required("as_of_date", Date), required("month_start", Date),
			required("unit_id", String), col("building", String), col("unit_type", String),
			col("beds", Float64), col("baths", Float64), col("sqft", Int64), required("status", String),
			col("market_rent", Money), col("lease_rent", Money), col("concessions", Money), col("other_charges", Money),
			col("lease_start", Date), col("lease_end", Date), col("move_in", Date), col("move_out", Date),
			col("designation", String), col("preleased", Bool), col("renewed", Bool), col("balance", Money),
			col("bed_spaces", Int64),
			col("loaded_at", Timestamp),
		}},
		// One row per charge of a unit (charge-coded exports), categorized
		// through the default table and the client's overrides.
		{Name: TableAnalyticsCharges, PartitionBy: "month_start", ClusterBy: []string{"property_id", "category"}, Columns: []Column{
			required("client_id", String), required("upload_id", String), required("property_id", String),
			required("as_of_date", Date), required("month_start", Date), required("unit_id", String),
			col("code", String), col("category", String), col("amount", Money),
		}},
		{Name: TableAnalyticsCompetition, PartitionBy: "month_start", ClusterBy: []string{"subject_property_id", "unit_type"}, Columns: []Column{
			required("client_id", String), required("upload_id", String),
			required("survey_date", Date), required("month_start", Date), col("subject_property_id", String),
			col("comp_property", String), col("unit_type", String), col("beds", Float64), col("baths", Float64),
			col("sqft", Int64), col("units", Int64), col("asking_rent", Money), col("concessions_monthly", Money),
			col("effective_rent", Money), col("occupancy", Float64), col("loaded_at", Timestamp),
		}},
		{Name: TableFloorplans, ClusterBy: []string{"property_id"}, Columns: []Column{
			required("client_id", String), required("property_id", String), required("code", String),
			col("beds", Float64), col("baths", Float64), col("sqft", Int64),
			col("updated_by", String), col("updated_at", Timestamp),
		}},
		{Name: TableUploadMetadata, ClusterBy: []string{"upload_id"}, Columns: []Column{
			required("client_id", String), required("upload_id", String), col("kind", String),
			col("object", String), col("status", String), col("format", String),
			col("property_id", String), col("as_of_date", Date),
			col("rows_total", Int64), col("rows_loaded", Int64), col("warnings", String), col("errors", String),
			col("received_at", Timestamp), col("loaded_at", Timestamp), col("duration_ms", Int64),
		}},
	}}
}
