import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { FakeApi } from '../test/fakeApi';
import { clientUser, renderAt } from '../test/render';

function rows() {
  const table = screen.getByRole('table', { name: 'Properties' });
  return [...table.querySelectorAll('tbody tr')].map((r) => [...r.querySelectorAll('td')].map((c) => c.textContent));
}

describe('Properties', () => {
  it('flags the properties whose newest roll is older than the summary month', async () => {
    const api = new FakeApi();
    api.data.properties = [
      { property_id: 'p1', property_name: 'Oak Court', as_of_date: '2026-03-31', units: 400 },
      { property_id: 'p3', property_name: 'Elm Row', as_of_date: '2026-01-31', units: 300 },
      { property_id: 'p9', property_name: 'New Place', as_of_date: '2026-03-31', units: 10 },
    ];
    renderAt('/clients/c1/properties', clientUser, api);
    await screen.findByText('stale');
    expect(rows()).toEqual([
      ['Oak Court', 'p1', '2026-03-31', 'current', '400'],
      ['Elm Row', 'p3', '2026-01-31', 'stale', '300'],
      ['New Place', 'p9', '2026-03-31', '—', '10'],
    ]);
  });

  it('still lists the properties when the summary fails', async () => {
    const api = new FakeApi();
    api.fail.summary = new ApiError(503, 'transient', 'busy');
    renderAt('/clients/c1/properties', clientUser, api);
    await screen.findByRole('table', { name: 'Properties' });
    await screen.findByText('—');
    expect(rows()).toEqual([['Oak Court', 'p1', '2026-03-31', '—', '400']]);
  });
});
