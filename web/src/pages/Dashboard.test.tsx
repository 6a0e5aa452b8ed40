import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { FakeApi, summary } from '../test/fakeApi';
import { clientUser, renderAt } from '../test/render';

function tile(label: string) {
  return document.querySelector(`[data-kpi="${label}"] .tile-value`)?.textContent;
}

describe('Dashboard', () => {
  it('shows loading, then the formatted figures, and asks for the as-of month', async () => {
    const { api } = renderAt('/clients/c1/dashboard', clientUser);
    expect(screen.getByRole('status')).toHaveTextContent(/Loading/);
    await screen.findByText(/As of/);
    expect(tile('Units')).toBe('1,200');
    expect(tile('Physical occupancy')).toBe('92.5%');
    expect(tile('Economic occupancy')).toBe('89.5%');
    expect(tile('Gross potential rent')).toBe('$1,850,000.50');
    expect(tile('In-place rent')).toBe('$1,667,250.25');
    expect(tile('Leased')).toBe('93.8%');
    expect(tile('Exposure')).toBe('6.3%');
    expect(tile('Effective rent')).toBe('$1,655,250.25');
    // Three properties, one of them on an older roll.
    expect(screen.getByText(/As of/)).toHaveTextContent('3 properties');
    expect(document.querySelector('[data-stale]')).toHaveTextContent('1 stale: p3 as of 2026-01-31');
    expect(api.calls).toContain('trend c1 2025-04..2026-03');
    expect(api.calls).toContain('expirations c1 2026-03');
    // The floorplan table: a missing average is a dash, not $0.00.
    const table = screen.getByRole('table', { name: 'Rent by floorplan' });
    const rows = [...table.querySelectorAll('tbody tr')].map((r) => [...r.querySelectorAll('td')].map((c) => c.textContent));
    expect(rows).toEqual([
      ['1x1', '1,200', '92.5%', '$1,541.67', '$1,502.03', '$21,000.00'],
      ['2x2', '1,200', '92.5%', '$1,541.67', '—', '$21,000.00'],
    ]);
    await waitFor(() => expect(document.querySelector('.dashboard')).toHaveAttribute('data-ready', 'true'));
  });

  it('says one property and flags no staleness when none is stale', async () => {
    const api = new FakeApi();
    const base = summary();
    api.data.summary = { ...base, properties: [{ property_id: 'p1', as_of: '2026-03-31', stale: false, units: 400 }] };
    renderAt('/clients/c1/dashboard', clientUser, api);
    expect(await screen.findByText(/As of/)).toHaveTextContent('1 property');
    expect(document.querySelector('[data-stale]')).toBeNull();
  });

  it('invites the first upload when there is no data', async () => {
    const api = new FakeApi();
    api.data.summary = summary(false);
    api.data.properties = []; // as the API answers a client without a loaded roll
    renderAt('/clients/c1/dashboard', clientUser, api);
    const link = await screen.findByRole('link', { name: 'Upload your first rent roll' });
    expect(link).toHaveAttribute('href', '/clients/c1/uploads');
    expect(api.calls.some((c) => c.startsWith('trend'))).toBe(false);
  });

  it('shows the API error and retries', async () => {
    const api = new FakeApi();
    api.fail.summary = new ApiError(503, 'transient', 'The warehouse is busy.');
    renderAt('/clients/c1/dashboard', clientUser, api);
    expect(await screen.findByRole('alert')).toHaveTextContent('The warehouse is busy. (503 transient)');
    delete api.fail.summary;
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    await screen.findByText(/As of/);
    expect(tile('Units')).toBe('1,200');
  });

  it("lists a portfolio's competition 25 rows at a time and charts it per property only", async () => {
    const api = new FakeApi();
    const row = (property_id: string, unit_type: string) => ({
      property_id, unit_type, beds: 1, baths: 1, comps: 3, comp_units: 300, comp_avg_asking_rent: 1500, comp_avg_effective_rent: 1450,
      comp_avg_effective_rent_psf: 2.1, subject_avg_market_rent: 1550, subject_avg_lease_rent: 1500, subject_avg_lease_rent_psf: 2.2,
      premium_pct: 0.0345, asking_premium_pct: 0.0333,
    });
    // 10 properties with the same 3 unit types: 30 rows, and equal unit types in different properties.
    const rows = Array.from({ length: 30 }, (_, i) => row(`p${Math.floor(i / 3)}`, ['1x1', '2x2', '3x2'][i % 3] ?? ''));
    api.data.competition = { as_of: '2026-03-15', property_id: null, data: true, by_unit_type: rows };
    renderAt('/clients/c1/dashboard', clientUser, api);
    const table = await screen.findByRole('table', { name: 'Competition' });
    expect(table.querySelectorAll('tbody tr')).toHaveLength(25);
    expect([...table.querySelectorAll('tbody tr')][4]?.querySelectorAll('td')[0]?.textContent).toBe('p1');
    await waitFor(() => expect(document.querySelector('[data-chart-note="Competition"]')).toHaveTextContent('10 surveyed properties'));
    expect(document.querySelector('figure[data-chart="Competition"]')).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: /Show all 30 rows ?of Competition/ }));
    expect(table.querySelectorAll('tbody tr')).toHaveLength(30);
    expect(screen.queryByRole('button', { name: /Show all/ })).toBeNull();
  });
});
