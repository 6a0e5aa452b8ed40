import { describe, expect, it } from 'vitest';
import type { Metrics, Trend } from './api/types';
import { trendPoints, waterfallSteps } from './dashboardData';
import { waterfallBars } from './charts';

const base: Metrics = {
  units: 10, occupied: 8, notice: 1, vacant: 2, physical_occupancy: 0.8, economic_occupancy: 0.75,
  gpr: 10000, in_place_rent: 7800, loss_to_lease: 300, loss_to_lease_pct: 0.0375, gain_to_lease: 100,
  gain_to_lease_pct: 0.0125, avg_market_rent: 1000, avg_lease_rent: 975, avg_market_rent_psf: 1.2, avg_lease_rent_psf: 1.15,
  preleased: 1, leased: 9, leased_pct: 0.9, exposure: 1, exposure_pct: 0.1, non_revenue_units: 0, model: 0, down: 0, admin: 0, employee: 0,
  vacancy_loss: 1800, non_revenue_loss: 200, concessions: 150, effective_rent: 7650,
};

describe('waterfallSteps', () => {
  it('walks from GPR to in-place and effective rent, and the bars close on the totals', () => {
    const steps = waterfallSteps(base);
    expect(steps?.map((s) => [s.name, s.value])).toEqual([
      ['Gross potential rent', 10000], ['Loss to lease', -300], ['Gain to lease', 100], ['Vacancy loss', -1800],
      ['Non-revenue units', -200], ['In-place rent', 7800], ['Concessions', -150], ['Effective rent', 7650],
    ]);
    const bars = waterfallBars(steps ?? []);
    // Each change floats from the running level; the identity makes the
    // level before each total equal that total.
    expect(bars[1]?.range).toEqual([9700, 10000]);
    expect(bars[2]?.range).toEqual([9700, 9800]);
    expect(bars[4]?.range).toEqual([7800, 8000]);
    expect(bars[5]?.range).toEqual([0, 7800]);
    expect(bars[6]?.range).toEqual([7650, 7800]);
  });
});

describe('trendPoints', () => {
  it('keeps months with data, with leased % (null when undefined)', () => {
    const trend = {
      property_id: null, from: '2026-01', to: '2026-03', data: true,
      months: [
        { ...base, month: '2026-01', as_of: null, data: false, properties: 0 },
        { ...base, month: '2026-02', as_of: '2026-02-28', data: true, properties: 1, leased_pct: null },
        { ...base, month: '2026-03', as_of: '2026-03-31', data: true, properties: 1, leased_pct: 0.9 },
      ],
    } satisfies Trend;
    expect(trendPoints(trend)).toEqual([
      { month: '2026-02', physical: 0.8, leased: null, economic: 0.75 },
      { month: '2026-03', physical: 0.8, leased: 0.9, economic: 0.75 },
    ]);
  });
});
