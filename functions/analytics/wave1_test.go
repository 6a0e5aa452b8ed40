package analytics_test

// wave1SummarySQL is the summary statement as the first wave shipped it
// (ROLLUP by unit type, the A6 sums only), with {ds} to fill: the benchmark's
// same-run baseline for the cost of the figures added since.
const wave1SummarySQL = `WITH rolls AS (
  SELECT property_id, as_of_date, upload_id, month_start FROM (
    SELECT property_id, as_of_date, upload_id, month_start, MAX(loaded_at) AS loaded_at
    FROM {ds}.analytics_rent_roll
    WHERE TRUE
      AND month_start <= CAST(@as_of_month AS DATE) AND as_of_date <= CAST(@as_of AS DATE)
    GROUP BY property_id, as_of_date, upload_id, month_start
  ) g
  WHERE upload_id IN (SELECT upload_id FROM {ds}.upload_metadata WHERE status = 'loaded')
  QUALIFY ROW_NUMBER() OVER (PARTITION BY property_id ORDER BY as_of_date DESC, loaded_at DESC, upload_id DESC) = 1
)
SELECT IFNULL(u.unit_type, '') AS unit_type_key, MAX(u.as_of_date) AS as_of,
  COUNT(DISTINCT u.property_id) AS properties,
  COUNT(*) AS units,
  COUNTIF(u.status IN ('occupied', 'occupied_notice')) AS occupied,
  COUNTIF(u.status = 'occupied_notice') AS notice,
  COUNTIF(u.status IN ('vacant', 'vacant_leased')) AS vacant,
  COUNT(u.market_rent) AS market_n,
  COUNTIF(u.status IN ('occupied', 'occupied_notice') AND u.lease_rent IS NOT NULL) AS lease_n,
  SUM(u.market_rent) AS gpr,
  SUM(IF(u.status IN ('occupied', 'occupied_notice'), u.lease_rent, NULL)) AS in_place,
  SUM(IF(u.status IN ('occupied', 'occupied_notice'), u.market_rent, NULL)) AS occ_market,
  SUM(IF(u.status IN ('occupied', 'occupied_notice') AND u.lease_rent < u.market_rent, u.market_rent - u.lease_rent, NULL)) AS loss,
  SUM(IF(u.status IN ('occupied', 'occupied_notice') AND u.lease_rent > u.market_rent, u.lease_rent - u.market_rent, NULL)) AS gain,
  SUM(IF(u.sqft > 0 AND u.market_rent IS NOT NULL, u.market_rent, NULL)) AS market_psf_rent,
  SUM(IF(u.sqft > 0 AND u.market_rent IS NOT NULL, u.sqft, NULL)) AS market_psf_sqft,
  SUM(IF(u.status IN ('occupied', 'occupied_notice') AND u.sqft > 0 AND u.lease_rent IS NOT NULL, u.lease_rent, NULL)) AS lease_psf_rent,
  SUM(IF(u.status IN ('occupied', 'occupied_notice') AND u.sqft > 0 AND u.lease_rent IS NOT NULL, u.sqft, NULL)) AS lease_psf_sqft
FROM {ds}.analytics_rent_roll u
  JOIN rolls r ON u.property_id = r.property_id AND u.as_of_date = r.as_of_date AND u.upload_id = r.upload_id
WHERE u.month_start <= CAST(@as_of_month AS DATE)
GROUP BY ROLLUP (unit_type_key)`
