// Turning API answers into what the dashboard's charts draw. Kept apart
// from the chart module so it is testable without a chart library.
import type { Metrics, Summary, Trend, Competition, Expirations } from './api/types';

/** Totals are the summary's totals (every breakdown row has the same figures). */
export type Totals = Metrics;

/** A step of the revenue waterfall: a total or a change. */
export interface Step { name: string; value: number; total?: boolean }

/**
 * waterfallSteps is the revenue identity (gross potential rent − loss to
 * lease + gain to lease − vacancy loss − non-revenue loss = in-place rent;
 * − concessions = effective rent), as docs/metrics.md defines it: the API
 * guarantees it closes to the cent, so each total is the running level.
 */
export function waterfallSteps(t: Totals): Step[] {
  return [
    { name: 'Gross potential rent', value: t.gpr, total: true },
    { name: 'Loss to lease', value: -t.loss_to_lease },
    { name: 'Gain to lease', value: t.gain_to_lease },
    { name: 'Vacancy loss', value: -t.vacancy_loss },
    { name: 'Non-revenue units', value: -t.non_revenue_loss },
    { name: 'In-place rent', value: t.in_place_rent, total: true },
    { name: 'Concessions', value: -t.concessions },
    { name: 'Effective rent', value: t.effective_rent, total: true },
  ];
}

/** A month of the occupancy trend. */
export interface TrendPoint { month: string; physical: number | null; leased: number | null; economic: number | null }

/** trendPoints keeps the months that have data. */
export function trendPoints(t: Trend): TrendPoint[] {
  return t.months.filter((m) => m.data).map((m) => {
    return { month: m.month, physical: m.physical_occupancy, leased: m.leased_pct, economic: m.economic_occupancy };
  });
}

/** The dashboard's answers, as the charts take them. */
export interface DashboardData { summary: Summary; trend?: Trend; exp?: Expirations; comp?: Competition }
