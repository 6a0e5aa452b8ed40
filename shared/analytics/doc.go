// Package analytics answers the rent-roll and competition questions of
// docs/architecture.md#http-api and docs/metrics.md from a client's warehouse dataset: the summary, lease
// expirations, monthly trend, roll-to-roll changes, competition positioning
// and floorplans, the property list, and the operator's cross-client summary. It imports no cloud SDK: it speaks
// to warehouse.Warehouse, which BigQuery (production) and DuckDB (local,
// tests) implement, with SQL written once in the subset both share.
//
// # Which rows count
//
// Only uploads that finished loading count: an upload is loaded when
// upload_metadata has its row with status 'loaded' (ingest writes that row
// last). "The latest loaded rent roll per property with as_of_date ≤ D"
// picks, per property, the greatest as_of_date ≤ D, then within it the
// upload with the latest loaded_at (a re-upload of the same property and
// date supersedes), then the greatest upload_id (deterministic ties). A
// property whose latest roll is older than D is carried forward with it.
// Competition surveys follow the same rule per subject property with
// survey_date. The trend's month M is the summary at M's last day. The
// dataset name always comes from tenancy.DatasetName of an authorized client
// id, checked with warehouse.CheckIdent; request input reaches SQL only as
// bound parameters.
//
// # Definitions
//
// docs/metrics.md defines every figure (formula, units covered, NULL
// handling, industry conventions); the oracle in internal/analyticsbench
// implements it unit by unit and the tests compare. In short: occupied =
// occupied + occupied_notice, vacant = vacant + vacant_leased, everything
// else is non-revenue; sums skip NULLs and averages are over the units that
// have the value, except that in the revenue waterfall an occupied unit's
// missing lease (market) rent counts as nothing in loss (gain) to lease, so
// gpr − loss + gain − vacancy_loss − non_revenue_loss = in_place_rent holds
// to the cent. Competition matches comps to a property's floorplans by
// bedrooms and bathrooms and weights comp averages by units. The same SQL
// treats an empty unit_type or subject_property_id like NULL, since ingest
// may write either.
//
// # Rounding
//
// SQL returns only exact aggregates: counts and sums of cents (NUMERIC /
// DECIMAL sums are exact). Go derives every ratio and average from those
// exact integers with big-integer arithmetic and rounds once: money to cents
// and ratios to 4 decimals, half away from zero (0.00005 → 0.0001, −2.5 cents
// → −3 cents), on the exact quotient (premium_pct on the exact quotient of
// the two exact averages, not of rounded ones). A ratio or average whose
// denominator is zero is null. Money encodes as a JSON number with two
// decimals (1234.50), ratios as the shortest decimal (0.9231).
//
// # Empty answers
//
// No data is an answer, not an error: "data": false, "as_of": null, zero
// counts and sums, null ratios, empty by_unit_type; expirations and trend
// still list every month asked for.
//
// # Keeping pages under 2 s on BigQuery
//
// Each route is one parameterized statement (a page's widgets run in
// parallel), every CTE is referenced once where possible (BigQuery evaluates
// and bills a CTE again at each reference; the trend's rolls CTE is the one
// exception), and analytics_rent_roll/analytics_competition are partitioned
// by month_start (a DATE stored at load time) and clustered by
// property_id/subject_property_id and unit_type (warehouse.Client).
//
// What prunes:
//
//   - month_start ≤ @as_of_month (summary, competition) and ≤ @to_month
//     (trend) are constant partition filters: partitions after the requested
//     month are not read, so a summary in the past reads only its history.
//   - property_id = @property_id is appended as its own predicate (not an
//     "empty or equal" test of one parameter, which BigQuery cannot use for
//     pruning), so clustered blocks of other properties are skipped — this
//     matters once a client's partitions reach hundreds of MB; below that a
//     partition is a handful of blocks and clustering saves little.
//   - Nothing can bound the history from below: a property that stopped
//     uploading is carried forward, so the latest-roll step reads every
//     partition up to as_of — but only the columns named.
//
// Bytes scanned, for the sizing client (200 properties × 300 units × 24
// monthly rolls = 1.44M unit rows; STRING = 2 + length bytes, DATE,
// TIMESTAMP and INT64 8, NUMERIC 16; 36-character upload ids): the roll
// choice reads property_id, as_of_date, upload_id, month_start, loaded_at ≈
// 72 B/row ≈ 105 MB; the unit pass adds unit_type, status, market_rent,
// lease_rent, sqft ≈ 120 B/row ≈ 175 MB; upload_metadata bills its 10 MB
// minimum. A summary is ≈ 0.3 GB (≈ $0.002 on demand), a trend about the
// same plus the second rolls evaluation, a property-filtered summary far
// less. At these sizes latency is dominated by BigQuery's fixed per-query
// overhead (a few hundred ms), not by the scan.
//
// What keeps pages well under 2 s:
//
//   - The query result cache: the same statement with the same parameters
//     answers from cache (free, tens of ms) until a table it reads changes —
//     for a client, until its next upload — and dashboards repeat the same
//     queries all month. The statements are deterministic (no CURRENT_DATE;
//     "latest" is a fixed far-future date), which the cache requires.
//   - BI Engine: a reservation (1–2 GB per region covers the hot months of
//     the largest clients) serves these scan/aggregate/join shapes from memory
//     in sub-second time with no code change.
//   - Short query optimized mode (jobs.query with job creation optional)
//     removes job polling round trips; the BigQuery adapter should enable it.
//   - If a client outgrows this (not built): ingest maintains a small
//     latest-rolls table (property_id, as_of_date, upload_id, month_start,
//     loaded_at per loaded roll); a first tiny query picks the rolls and their
//     months, and the unit query filters month_start IN UNNEST(@months) — a
//     constant list BigQuery prunes to the one or two partitions a summary
//     needs (≈ 15 MB instead of 0.3 GB).
package analytics
