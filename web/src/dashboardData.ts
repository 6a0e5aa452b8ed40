// Turning API answers into what the dashboard's charts draw. Kept apart
// from the chart module so it is testable without a chart library.
import type { Metrics, Summary, SummaryExtras, Trend, Competition, Expirations } from './api/types';

/** Totals are the summary's totals with the fields the API is gaining. */
export type Totals = Metrics & SummaryExtras;

/** A step of the revenue waterfall: a total or a change. */
export interface Step { name: string; value: number; total?: boolean }

/**
 * waterfallSteps is the revenue identity (gross potential rent − loss to
 * lease + gain to lease − vacancy loss − non-revenue loss = in-place rent;
 * − concessions = effective rent), or null while the summary does not carry
 * the losses it needs.
 */
export function waterfallSteps(t: Totals): Step[] | null {
  if (t.vacancy_loss === undefined || t.non_revenue_loss === undefined) return null;
  const steps: Step[] = [
    { name: 'Gross potential rent', value: t.gpr, total: true },
    { name: 'Loss to lease', value: -t.loss_to_lease },
    { name: 'Gain to lease', value: t.gain_to_lease },
    { name: 'Vacancy loss', value: -t.vacancy_loss },
    { name: 'Non-revenue units', value: -t.non_revenue_loss },
    { name: 'In-place rent', value: t.in_place_rent, total: true },
  ];
  if (t.concessions !== undefined && t.effective_rent !== undefined) {
    steps.push({ name: 'Concessions', value: -t.concessions }, { name: 'Effective rent', value: t.effective_rent, total: true });
  }
  return steps;
}

/** A month of the occupancy trend. */
export interface TrendPoint { month: string; physical: number | null; leased: number | null; economic: number | null }

/** trendPoints keeps the months that have data. */
export function trendPoints(t: Trend): TrendPoint[] {
  return t.months.filter((m) => m.data).map((m) => {
    const x = m as typeof m & SummaryExtras;
    return { month: m.month, physical: m.physical_occupancy, leased: x.leased_pct ?? null, economic: m.economic_occupancy };
  });
}

/** The dashboard's answers, as the charts take them. */
export interface DashboardData { summary: Summary; trend?: Trend; exp?: Expirations; comp?: Competition }
