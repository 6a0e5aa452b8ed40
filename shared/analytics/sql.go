package analytics

import "strings"

// The statements below are written once, in the subset of SQL that BigQuery
// and DuckDB share (docs/architecture.md#local-platform): QUALIFY (always with a GROUP BY or WHERE, as
// BigQuery requires), COUNTIF, IF, IFNULL, EXTRACT, CAST(@x AS DATE),
// COUNT(DISTINCT), scalar subqueries and CROSS JOIN of one-row aggregates.
// Dates travel as 'YYYY-MM-DD' strings cast in SQL, so no dialect-specific
// date parameter or function is needed; month_start is stored at load time.
//
// Placeholders in braces are replaced by text from code, never from input:
// {ds} is the client's dataset (tenancy.DatasetName of an authorized client
// id, checked with warehouse.CheckIdent), and {prop_*} is either empty or a
// fixed "AND x.property_id = @property_id" (the value is a bound parameter).
// A statement without the filter, rather than an "empty or equal" test,
// lets BigQuery prune clustered blocks when a property is asked for.

// loadedUploads restricts to uploads whose load finished: the ingest function
// writes the upload_metadata row with status 'loaded' last.
const loadedUploads = `upload_id IN (SELECT upload_id FROM {ds}.upload_metadata WHERE status = 'loaded')`

// latestRolls is the CTE body picking, per {partition}, the latest loaded rent
// roll: the greatest as_of_date, then the upload loaded last (a re-upload of
// the same property and date supersedes), then the greatest upload_id so the
// choice is deterministic on ties. {where} narrows the candidates. The
// loaded check runs on the few grouped rolls rather than on every unit row:
// that halves the statement's time on DuckDB at 1.4M rows.
const latestRolls = `SELECT property_id, as_of_date, upload_id, month_start FROM (
    SELECT property_id, as_of_date, upload_id, month_start, MAX(loaded_at) AS loaded_at
    FROM {ds}.analytics_rent_roll
    WHERE TRUE{where}
    GROUP BY property_id, as_of_date, upload_id, month_start
  ) g
  WHERE ` + loadedUploads + `
  QUALIFY ROW_NUMBER() OVER (PARTITION BY {partition} ORDER BY as_of_date DESC, loaded_at DESC, upload_id DESC) = 1`

// joinRolls joins unit rows u to the chosen rolls r.
const joinRolls = `FROM {ds}.analytics_rent_roll u
  JOIN rolls r ON u.property_id = r.property_id AND u.as_of_date = r.as_of_date AND u.upload_id = r.upload_id`

// asOfWhere bounds candidates by the requested date; the month_start bound is
// the partition filter BigQuery prunes on.
const asOfWhere = `
      AND month_start <= CAST(@as_of_month AS DATE) AND as_of_date <= CAST(@as_of AS DATE){prop}`

// summarySQL: the sums per (property, unit type, bedrooms) over the latest
// roll of each property with as_of_date ≤ @as_of, in one pass and one
// reference to the rolls CTE (BigQuery evaluates a CTE again, and bills it
// again, at each reference). Every column is a count or a sum, so Go adds
// the groups up into the totals, the per-property list and every breakdown
// exactly. unit_type_key is never NULL: IFNULL maps a missing unit type to
// the empty string.
const summarySQL = `WITH rolls AS (
  ` + latestRolls + `
)
SELECT u.property_id, IFNULL(u.unit_type, '') AS unit_type_key, u.beds, MAX(u.as_of_date) AS as_of,
  ` + sumsColumns + `
` + joinRolls + `
WHERE u.month_start <= CAST(@as_of_month AS DATE){prop_u}
GROUP BY u.property_id, unit_type_key, u.beds`

// expirationsSQL sorts the occupied units of the latest roll of each
// property into buckets, judged against that roll's own as_of date: on
// notice, renewed, no lease end, month-to-month (lease ended before as_of),
// or a lease term ending in year y, month m. Other units land in bucket
// 'other' with n = 0, so the answer also tells whether any roll exists and
// its date.
const expirationsSQL = `WITH rolls AS (
  ` + latestRolls + `
)
SELECT bucket, y, m, MAX(as_of) AS as_of, SUM(occ) AS n, SUM(lease_rent) AS lease_rent, SUM(market_rent) AS market_rent
FROM (
  SELECT u.as_of_date AS as_of,
    IF(u.status IN ('occupied', 'occupied_notice'), 1, 0) AS occ,
    u.lease_rent, u.market_rent,
    CASE WHEN u.status NOT IN ('occupied', 'occupied_notice') THEN 'other'
      WHEN u.status = 'occupied_notice' THEN 'notice'
      WHEN u.renewed THEN 'renewed'
      WHEN u.lease_end IS NULL THEN 'no_lease_end'
      WHEN u.lease_end < u.as_of_date THEN 'month_to_month'
      ELSE 'term' END AS bucket,
    IF(u.status = 'occupied' AND NOT IFNULL(u.renewed, FALSE) AND u.lease_end >= u.as_of_date, EXTRACT(YEAR FROM u.lease_end), NULL) AS y,
    IF(u.status = 'occupied' AND NOT IFNULL(u.renewed, FALSE) AND u.lease_end >= u.as_of_date, EXTRACT(MONTH FROM u.lease_end), NULL) AS m
  ` + joinRolls + `
  WHERE TRUE{prop_u}
) x
GROUP BY bucket, y, m`

// trendSQL computes the totals at a few points: @from and every later month
// (up to @to) in which some roll was loaded. Between points nothing changes,
// so Go fills the other months from the latest point before them. Per
// property and month the latest roll is chosen first (rolls); each point
// then takes, per property, the roll of the latest month ≤ the point
// (picked), and only those rolls' units are read: months before the range
// are skipped except for the rolls carried into it. (rolls is referenced
// twice; BigQuery evaluates it twice, reading its five narrow columns again.)
const trendSQL = `WITH rolls AS (
  ` + latestRolls + `
),
points AS (
  SELECT DISTINCT month_start AS point FROM rolls WHERE month_start > CAST(@from_month AS DATE)
  UNION ALL
  SELECT CAST(@from_month AS DATE) AS point
),
picked AS (
  SELECT p.point, r.property_id, r.as_of_date, r.upload_id
  FROM points p JOIN rolls r ON r.month_start <= p.point
  WHERE TRUE
  QUALIFY ROW_NUMBER() OVER (PARTITION BY p.point, r.property_id ORDER BY r.month_start DESC) = 1
),
per_point AS (
  SELECT pk.point, pk.property_id, MAX(u.as_of_date) AS as_of_date,
  ` + sumsColumns + `
  FROM {ds}.analytics_rent_roll u
    JOIN picked pk ON u.property_id = pk.property_id AND u.as_of_date = pk.as_of_date AND u.upload_id = pk.upload_id
  WHERE u.month_start <= CAST(@to_month AS DATE){prop_u}
  GROUP BY pk.point, pk.property_id
)
SELECT a.point, MAX(a.as_of_date) AS as_of, COUNT(*) AS properties,
  ` + resumColumns + `
FROM per_point a
GROUP BY a.point`

// competitionSQL answers both sides in one statement, as exact sums that
// Go matches by bedrooms and bathrooms: 'comp' rows (per subject, unit
// type, beds, baths and comp property) from the latest loaded survey per
// subject property with survey_date ≤ @as_of, weighted by each row's units;
// 'subject' rows (per property, unit type, beds and baths) from the latest
// roll of each of those subject properties (as in the summary): a survey
// positions its own subject, not the rest of the portfolio; and 'floorplan'
// rows, the floorplans a client admin stored for those properties.
// Effective rent is asking − monthly concessions (none = 0). A comp row
// without a unit count has no weight (it still names a comp property).
const competitionSQL = `WITH surveys AS (
  SELECT subject, survey_date, upload_id FROM (
    SELECT IFNULL(subject_property_id, '') AS subject, survey_date, upload_id, loaded_at
    FROM {ds}.analytics_competition
    WHERE ` + loadedUploads + `
      AND month_start <= CAST(@as_of_month AS DATE) AND survey_date <= CAST(@as_of AS DATE){prop_subject}
  ) s
  GROUP BY subject, survey_date, upload_id
  QUALIFY ROW_NUMBER() OVER (PARTITION BY subject ORDER BY survey_date DESC, MAX(loaded_at) DESC, upload_id DESC) = 1
),
rolls AS (
  ` + latestRolls + `
)
SELECT 'comp' AS side, s.subject AS property_id, IFNULL(c.unit_type, '') AS unit_type_key, c.beds, c.baths,
  IFNULL(c.comp_property, '') AS comp, MAX(c.survey_date) AS as_of, COUNT(*) AS cnt,
  SUM(IF(c.asking_rent IS NOT NULL, c.units, NULL)) AS w,
  SUM(c.asking_rent * c.units) AS sum_ask,
  SUM((c.asking_rent - IFNULL(c.concessions_monthly, 0)) * c.units) AS sum_rent,
  SUM(IF(c.sqft > 0, (c.asking_rent - IFNULL(c.concessions_monthly, 0)) * c.units, NULL)) AS psf_rent,
  SUM(IF(c.sqft > 0 AND c.asking_rent IS NOT NULL, c.sqft * c.units, NULL)) AS psf_sqft,
  0 AS market_n, NULL AS sum_market
FROM {ds}.analytics_competition c
  JOIN surveys s ON IFNULL(c.subject_property_id, '') = s.subject AND c.survey_date = s.survey_date AND c.upload_id = s.upload_id
WHERE c.month_start <= CAST(@as_of_month AS DATE)
GROUP BY property_id, unit_type_key, c.beds, c.baths, comp
UNION ALL
SELECT 'subject' AS side, u.property_id, IFNULL(u.unit_type, '') AS unit_type_key, u.beds, u.baths,
  '' AS comp, MAX(u.as_of_date) AS as_of, COUNT(*) AS cnt,
  COUNTIF(u.status IN ('occupied', 'occupied_notice') AND u.lease_rent IS NOT NULL) AS w,
  NULL AS sum_ask,
  SUM(IF(u.status IN ('occupied', 'occupied_notice'), u.lease_rent, NULL)) AS sum_rent,
  SUM(IF(u.status IN ('occupied', 'occupied_notice') AND u.sqft > 0 AND u.lease_rent IS NOT NULL, u.lease_rent, NULL)) AS psf_rent,
  SUM(IF(u.status IN ('occupied', 'occupied_notice') AND u.sqft > 0 AND u.lease_rent IS NOT NULL, u.sqft, NULL)) AS psf_sqft,
  COUNT(u.market_rent) AS market_n, SUM(u.market_rent) AS sum_market
` + joinRolls + `
WHERE u.month_start <= CAST(@as_of_month AS DATE){prop_u}
  -- Only the surveyed (subject) properties are compared with their comps.
  AND u.property_id IN (SELECT subject FROM surveys)
GROUP BY u.property_id, unit_type_key, u.beds, u.baths
UNION ALL
SELECT 'floorplan' AS side, f.property_id, f.code AS unit_type_key, f.beds, f.baths,
  '' AS comp, NULL AS as_of, 0 AS cnt, 0 AS w, NULL AS sum_ask, NULL AS sum_rent, NULL AS psf_rent, NULL AS psf_sqft,
  0 AS market_n, NULL AS sum_market
FROM {ds}.floorplans f
WHERE f.property_id IN (SELECT subject FROM surveys){prop_f}`

// floorplansSQL reads one property's stored floorplans and, as seeds, the
// beds, baths and area its latest roll gives each unit type.
const floorplansSQL = `WITH rolls AS (
  ` + latestRolls + `
)
SELECT 'roll' AS source, IFNULL(u.unit_type, '') AS code, u.beds, u.baths, COUNT(*) AS cnt,
  SUM(u.sqft) AS sum_sqft, COUNT(u.sqft) AS sqft_n
` + joinRolls + `
WHERE u.property_id = @property_id
GROUP BY code, u.beds, u.baths
UNION ALL
SELECT 'edited' AS source, f.code, f.beds, f.baths, 0 AS cnt, f.sqft AS sum_sqft, IF(f.sqft IS NULL, 0, 1) AS sqft_n
FROM {ds}.floorplans f
WHERE f.property_id = @property_id`

// propertiesSQL lists every property's latest loaded roll.
const propertiesSQL = `WITH rolls AS (
  ` + latestRolls + `
)
SELECT u.property_id, MAX(u.property_name) AS property_name, r.as_of_date, COUNT(*) AS units
` + joinRolls + `
GROUP BY u.property_id, r.as_of_date
ORDER BY u.property_id`

// clientSummarySQL is one client's line of the cross-client summary: two
// one-row aggregates side by side.
const clientSummarySQL = `WITH rolls AS (
  ` + latestRolls + `
)
SELECT * FROM (
  SELECT COUNT(*) AS units,
    COUNTIF(u.status IN ('occupied', 'occupied_notice')) AS occupied,
    SUM(u.market_rent) AS gpr
  ` + joinRolls + `
) rr CROSS JOIN (
  SELECT MAX(loaded_at) AS last_upload_at,
    COUNT(DISTINCT IF(loaded_at >= @month_start AND loaded_at < @next_month_start, upload_id, NULL)) AS uploads_this_month
  FROM {ds}.upload_metadata
  WHERE status = 'loaded'
) up`

// statement fills a statement's placeholders. ds must have passed
// warehouse.CheckIdent; byProperty adds the bound property filter.
func statement(tmpl, ds, where, partition string, byProperty bool) string {
	prop := func(alias string) string {
		if !byProperty {
			return ""
		}
		col := "property_id"
		if alias == "subject" {
			return " AND subject_property_id = @property_id"
		}
		if alias == "f" {
			return " AND f.property_id = @property_id"
		}
		if alias != "" {
			col = alias + "." + col
		}
		return " AND " + col + " = @property_id"
	}
	where = strings.ReplaceAll(where, "{prop}", prop(""))
	return strings.NewReplacer(
		"{where}", where,
		"{partition}", partition,
		"{prop_u}", prop("u"),
		"{prop_subject}", prop("subject"),
		"{prop_f}", prop("f"),
	).Replace(strings.ReplaceAll(tmpl, "{ds}", ds))
}

// changesSQL reads, for one property, the unit rows of the roll in force at
// @from (side 'a') and at @to (side 'b'), and per unit the last lease rent
// a resident paid in any loaded roll up to @from (side 'h'). Go compares
// them. The property filter is always on, so the statement reads only that
// property's clustered blocks.
const changesSQL = `WITH loaded AS (
  SELECT as_of_date, upload_id, loaded_at FROM (
    SELECT as_of_date, upload_id, MAX(loaded_at) AS loaded_at
    FROM {ds}.analytics_rent_roll
    WHERE property_id = @property_id AND month_start <= CAST(@to_month AS DATE) AND as_of_date <= CAST(@to AS DATE)
    GROUP BY as_of_date, upload_id
  ) g
  WHERE ` + loadedUploads + `
),
picked AS (
  SELECT side, as_of_date, upload_id FROM (
    SELECT IF(as_of_date <= CAST(@from AS DATE), 'a', 'b') AS side, as_of_date, upload_id, loaded_at FROM loaded
    UNION ALL
    SELECT 'b' AS side, as_of_date, upload_id, loaded_at FROM loaded WHERE as_of_date <= CAST(@from AS DATE)
  ) c
  WHERE TRUE
  QUALIFY ROW_NUMBER() OVER (PARTITION BY side ORDER BY as_of_date DESC, loaded_at DESC, upload_id DESC) = 1
),
hist AS (
  SELECT u.unit_id, u.as_of_date, u.lease_rent
  FROM {ds}.analytics_rent_roll u
    JOIN loaded l ON u.as_of_date = l.as_of_date AND u.upload_id = l.upload_id
  WHERE u.property_id = @property_id AND u.month_start <= CAST(@from_month AS DATE)
    AND u.as_of_date <= CAST(@from AS DATE) AND u.lease_rent IS NOT NULL
    AND u.status IN ('occupied', 'occupied_notice')
  QUALIFY ROW_NUMBER() OVER (PARTITION BY u.unit_id ORDER BY u.as_of_date DESC, l.loaded_at DESC, u.upload_id DESC) = 1
)
SELECT p.side, u.as_of_date, u.unit_id, u.status, u.lease_rent, u.move_in, u.lease_start, u.lease_end
FROM {ds}.analytics_rent_roll u
  JOIN picked p ON u.as_of_date = p.as_of_date AND u.upload_id = p.upload_id
WHERE u.property_id = @property_id AND u.month_start <= CAST(@to_month AS DATE)
UNION ALL
SELECT 'h' AS side, h.as_of_date, h.unit_id, NULL AS status, h.lease_rent, NULL AS move_in, NULL AS lease_start,
  NULL AS lease_end
FROM hist h`
