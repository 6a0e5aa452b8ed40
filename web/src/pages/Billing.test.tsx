import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { FakeApi } from '../test/fakeApi';
import { clientAdmin, renderAt } from '../test/render';

describe('Billing', () => {
  it('shows each month with its plan, unit price and amount in the plan currency', async () => {
    const api = new FakeApi();
    api.data.billingMonths = [
      { month: '2026-02', units: 900, properties: 2, carried_forward_properties: 0, stale_properties: [], plan_id: 'standard', unit_price: 1.25, minimum_monthly: 500, amount: 1125, currency: 'USD' },
      { month: '2026-03', units: 200, properties: 3, carried_forward_properties: 1, stale_properties: ['p3'], plan_id: 'eu', unit_price: 1.1, minimum_monthly: 500, amount: 500, currency: 'EUR' },
    ];
    renderAt('/clients/c1/billing', clientAdmin, api);
    const table = await screen.findByRole('table', { name: 'Billed units' });
    const rows = [...table.querySelectorAll('tbody tr')].map((r) => [...r.querySelectorAll('td')].map((c) => c.textContent));
    expect(rows).toEqual([
      ['2026-02', '900', '2', '0', '0', 'standard', '$1.25', '$500.00', '$1,125.00', 'USD'],
      ['2026-03', '200', '3', '1', '1', 'eu', '€1.10', '€500.00', '€500.00', 'EUR'],
    ]);
    expect(table.querySelector('.badge.warn')).toHaveAttribute('title', 'p3');
  });
});
