import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { FakeApi } from '../test/fakeApi';
import { renderAt, superAdmin } from '../test/render';

describe('Usage', () => {
  it('shows amounts per client and the totals per currency', async () => {
    const api = new FakeApi();
    api.data.usage = {
      month: '2026-03', total_units: 1100, stale_properties: 1, amount_totals: { USD: 1125, EUR: 500 },
      clients: [
        { client_id: 'acme', name: 'Acme', status: 'active', units: 900, properties: 2, carried_forward_properties: 0, run_id: 'r1', stale_properties: [], plan_id: 'standard', unit_price: 1.25, minimum_monthly: 500, amount: 1125, currency: 'USD' },
        { client_id: 'euro', name: 'Euro', status: 'active', units: 200, properties: 3, carried_forward_properties: 1, run_id: 'r1', stale_properties: ['p3'], plan_id: 'eu', unit_price: 1.1, minimum_monthly: 500, amount: 500, currency: 'EUR' },
      ],
    };
    renderAt('/admin/usage', superAdmin, api);
    const table = await screen.findByRole('table', { name: /Billed units/ });
    const rows = [...table.querySelectorAll('tbody tr')].map((r) => [...r.querySelectorAll('td')].map((c) => c.textContent));
    expect(rows).toEqual([
      ['Acme', 'acme', '900', '2', '0', '0', 'standard', '$1.25', '$500.00', '$1,125.00', 'USD', 'r1'],
      ['Euro', 'euro', '200', '3', '1', '1', 'eu', '€1.10', '€500.00', '€500.00', 'EUR', 'r1'],
    ]);
    expect(document.querySelector('[data-kpi="Amount"] .tile-value')).toHaveTextContent('€500.00 · $1,125.00');
    expect(document.querySelector('[data-kpi="Stale properties"] .tile-value')).toHaveTextContent('1');
  });

  it('says nothing is billed yet when the month has no run (404), not an error', async () => {
    const api = new FakeApi();
    api.data.usage = null;
    renderAt('/admin/usage', superAdmin, api);
    expect(await screen.findByText(/No units billed for \d{4}-\d{2}: run the unit count/)).toBeInTheDocument();
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
