import { describe, expect, it } from 'vitest';
import { ApiError, type Query } from './api/client';
import type { Property, Summary } from './api/types';
import { dashboardPath, firstMonth, latestMonth, loadDashboard, prefetchDashboard, takeDashboard, takeProperties } from './dashboardLoad';
import { FakeApi, summary } from './test/fakeApi';

const prop = (property_id: string, as_of_date: string): Property => ({ property_id, property_name: property_id, as_of_date, units: 10 });

// A fake whose summary answers only when the test says so, to see what was
// asked for while it was outstanding.
class SlowSummary extends FakeApi {
  release: () => void = () => {};
  override summary(cid: string, q?: Query): Promise<Summary> {
    this.calls.push(`summary ${cid} ${JSON.stringify(q ?? {})}`);
    return new Promise((ok) => { this.release = () => ok(this.data.summary); });
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('latestMonth', () => {
  const list = [prop('a', '2026-03-31'), prop('b', '2026-04-30'), prop('c', '2025-12-31')];
  it.each([
    ['all properties: the newest', '', '2026-04'],
    ['one property: its own', 'c', '2025-12'],
    ['an unknown property: none', 'x', undefined],
  ])('%s', (_name, property, want) => {
    expect(latestMonth(list, property)).toBe(want);
  });
  it('none for an empty list', () => { expect(latestMonth([], '')).toBeUndefined(); });
});

describe('dashboardPath', () => {
  it.each([
    ['/clients/demo/dashboard', '', { cid: 'demo', property: '' }],
    ['/clients/demo/dashboard/', '?property=p%201', { cid: 'demo', property: 'p 1' }],
    ['/clients/a%2Fb/dashboard', '', { cid: 'a/b', property: '' }],
    ['/clients/demo/uploads', '', undefined],
    ['/admin/clients', '', undefined],
    ['/clients/%E0%A4%A/dashboard', '', undefined],
  ])('%s%s', (path, search, want) => {
    expect(dashboardPath(path, search)).toEqual(want);
  });
});

describe('firstMonth', () => {
  const later = <T,>(v: T, ms: number) => new Promise<T>((ok) => setTimeout(() => ok(v), ms));
  // Each case makes its promises when it runs, so their delays start then.
  it.each([
    ['the first to answer', () => [later('2026-01', 30), later('2026-02', 1)], '2026-02'],
    ['the one that knows', () => [later(undefined, 1), later('2026-03', 30)], '2026-03'],
    ['none knows', () => [later(undefined, 1), later(undefined, 2)], undefined],
    ['none asked', () => [], undefined],
  ])('%s', async (_name, months: () => Promise<string | undefined>[], want) => {
    expect(await firstMonth(months())).toBe(want);
  });
});

describe('loadDashboard', () => {
  it('asks for the trend, expirations and competition while the summary is outstanding', async () => {
    const api = new SlowSummary();
    let dispatched = 0;
    const done = loadDashboard(api, 'c1', '', api.properties('c1'), () => dispatched++);
    await tick();
    expect(dispatched).toBe(1); // the trend and expirations went out: the summary is still outstanding
    expect(api.calls).toEqual([
      'properties c1', 'summary c1 {"property_id":""}', 'competition c1', 'trend c1 2025-04..2026-03', 'expirations c1 2026-03',
    ]);
    api.release();
    const d = await done;
    expect(dispatched).toBe(1);
    expect(d.summary.as_of).toBe('2026-03-31');
    expect(d.trend?.to).toBe('2026-03');
    expect(d.exp?.from).toBe('2026-03');
    expect(d.comp).toBeDefined();
    expect(api.calls).toHaveLength(5); // nothing asked twice
  });

  it("asks again for the summary's month when the property list disagrees", async () => {
    const api = new FakeApi();
    api.data.properties = [prop('p1', '2026-02-28')];
    const d = await loadDashboard(api, 'c1', '', api.properties('c1'));
    expect(api.calls.filter((c) => c.startsWith('trend'))).toEqual(['trend c1 2025-03..2026-02', 'trend c1 2025-04..2026-03']);
    expect(d.trend?.to).toBe('2026-03');
    expect(d.exp?.from).toBe('2026-03');
  });

  it('still draws when the property list fails: the summary fixes the month', async () => {
    const api = new FakeApi();
    api.fail.properties = new ApiError(503, 'transient', 'busy');
    const d = await loadDashboard(api, 'c1', 'p1', api.properties('c1'));
    expect(d.trend?.to).toBe('2026-03');
    expect(api.calls.filter((c) => c.startsWith('trend'))).toEqual(['trend c1 2025-04..2026-03']);
  });

  it('asks for nothing else when there is no data', async () => {
    const api = new FakeApi();
    api.data.summary = summary(false);
    api.data.properties = [];
    const d = await loadDashboard(api, 'c1', '', api.properties('c1'));
    expect(d).toEqual({ summary: api.data.summary });
    expect(api.calls.some((c) => c.startsWith('trend') || c.startsWith('expirations'))).toBe(false);
  });

  it('fails with the summary', async () => {
    const api = new FakeApi();
    api.fail.summary = new ApiError(404, 'not_found', 'no such client');
    await expect(loadDashboard(api, 'c1', '', api.properties('c1'))).rejects.toMatchObject({ status: 404 });
  });
});

describe('prefetchDashboard', () => {
  it('hands the page the calls already under way, once', async () => {
    const api = new FakeApi();
    prefetchDashboard(api, 'c1', '');
    prefetchDashboard(api, 'c1', ''); // a second start asks nothing again
    const props = takeProperties(api, 'c1');
    const d = await takeDashboard(api, 'c1', '', props);
    expect((await props).properties).toEqual(api.data.properties);
    expect(d.trend?.to).toBe('2026-03');
    expect(api.calls.filter((c) => c.startsWith('properties'))).toHaveLength(1);
    expect(api.calls.filter((c) => c.startsWith('summary'))).toHaveLength(1);
    // Taken: a retry asks again.
    await takeDashboard(api, 'c1', '', props);
    expect(api.calls.filter((c) => c.startsWith('summary'))).toHaveLength(2);
  });

  it.each([
    ['another client', 'c2', ''],
    ['another property', 'c1', 'p1'],
  ])('is not taken for %s', async (_name, cid, property) => {
    const api = new FakeApi();
    prefetchDashboard(api, 'c1', '');
    await takeDashboard(api, cid, property, takeProperties(api, cid));
    expect(api.calls.filter((c) => c.startsWith('summary'))).toEqual(['summary c1 {"property_id":""}', `summary ${cid} ${JSON.stringify({ property_id: property })}`]);
  });

  it('is not taken with another API (another sign-in)', async () => {
    const first = new FakeApi();
    const second = new FakeApi();
    prefetchDashboard(first, 'c1', '');
    await takeDashboard(second, 'c1', '', takeProperties(second, 'c1'));
    expect(second.calls.filter((c) => c.startsWith('summary'))).toHaveLength(1);
  });
});
