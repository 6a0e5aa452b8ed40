// Fetching a dashboard with as few round trips in a row as the API allows.
//
// The trend and the expirations are asked for the months around the
// summary's as-of month, which used to mean: summary first, then the other
// calls. The property list carries each property's latest as-of date and
// answers faster than the summary, and the summary's as-of is the latest of
// them (for one property, that property's), so the list fixes the months
// while the summary and the competition are already under way (or the
// summary does, when it answers first). Should the
// two disagree (a roll landed between the calls, or the list was cut at its
// page limit), the trend and the expirations are asked again for the
// summary's month, so what is drawn always matches the tiles.
//
// prefetchDashboard starts all of it as soon as a token is known (before
// the principal and the page's code have arrived); the page then takes the
// calls already under way instead of starting its own.
import type { Api } from './api/client';
import type { Property } from './api/types';
import type { DashboardData } from './dashboardData';
import { month } from './format';

/** The properties of a client, for the property picker and the as-of month. */
export type PropertyList = { properties: Property[] };

/** latestMonth is YYYY-MM of the newest as-of date among properties (of property, when given). */
export function latestMonth(list: Property[], property: string): string | undefined {
  let best = '';
  for (const p of list) {
    if ((property === '' || p.property_id === property) && p.as_of_date > best) best = p.as_of_date;
  }
  return best ? best.slice(0, 7) : undefined;
}

/** firstMonth answers the first month any of months answers, or undefined when none does. */
export function firstMonth(months: Promise<string | undefined>[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    let left = months.length;
    if (left === 0) resolve(undefined);
    for (const m of months) {
      void m.then((v) => {
        left--;
        if (v) resolve(v);
        else if (left === 0) resolve(undefined);
      });
    }
  });
}

/**
 * loadDashboard fetches a dashboard's answers: the summary and the
 * competition at once, the trend and the expirations as soon as the property
 * list names the as-of month.
 */
export async function loadDashboard(api: Api, cid: string, property: string, props: Promise<PropertyList>,
  onDispatched?: () => void): Promise<DashboardData> {
  const q = { property_id: property };
  const summaryP = api.summary(cid, q);
  const compP = api.competition(cid, q);
  const around = (to: string) => Promise.all([
    api.trend(cid, { from: month(new Date(`${to}-01T00:00:00Z`), -11), to, property_id: property }),
    api.expirations(cid, { from: to, months: 12, property_id: property }),
  ]);
  // The month comes from whichever answers first, the list or the summary
  // (on a large portfolio either can); a failed list is no failure of the dashboard.
  const guess = firstMonth([
    props.then((l) => latestMonth(l.properties, property), () => undefined),
    summaryP.then((s) => s.as_of?.slice(0, 7), () => undefined),
  ]);
  const early = guess.then((to) => (to ? { to, answers: around(to) } : undefined));
  void early.finally(() => onDispatched?.());
  // Nobody awaits the early calls when the summary fails or disagrees.
  void early.then((e) => e?.answers.catch(() => undefined));
  const summary = await summaryP;
  if (!summary.data || !summary.as_of) {
    void compP.catch(() => undefined);
    return { summary };
  }
  const to = summary.as_of.slice(0, 7);
  const e = await early;
  const [[trend, exp], comp] = await Promise.all([e?.to === to ? e.answers : around(to), compP]);
  return { summary, trend, exp, comp };
}

interface Pending { api: Api; cid: string; property: string; props: Promise<PropertyList>; data: Promise<DashboardData> }

// One dashboard at most is prefetched: the one the browser opened on.
let pending: Pending | undefined;

/** dashboardPath matches a dashboard's address: its client and property, or undefined. */
export function dashboardPath(pathname: string, search: string): { cid: string; property: string } | undefined {
  const raw = /^\/clients\/([^/]+)\/dashboard\/?$/.exec(pathname)?.[1];
  if (raw === undefined) return undefined;
  let cid: string;
  try {
    cid = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  return { cid, property: new URLSearchParams(search).get('property') ?? '' };
}

/**
 * prefetchDashboard starts a dashboard's calls ahead of its page, once, and
 * calls onDispatched when every one of them has gone out (work that would
 * hold up the main thread waits for it). A user who may not see the client
 * gets the API's refusal, as the page would.
 */
export function prefetchDashboard(api: Api, cid: string, property: string, onDispatched?: () => void): void {
  if (take(api, cid, property)) return;
  const props = api.properties(cid);
  const data = loadDashboard(api, cid, property, props, onDispatched);
  // Until the page takes them, a failure is nobody's to report.
  props.catch(() => undefined);
  data.catch(() => undefined);
  pending = { api, cid, property, props, data };
}

function take(api: Api, cid: string, property: string): Pending | undefined {
  return pending && pending.api === api && pending.cid === cid && pending.property === property ? pending : undefined;
}

/** takeProperties answers the prefetched property list, or asks for it. */
export function takeProperties(api: Api, cid: string): Promise<PropertyList> {
  if (pending && pending.api === api && pending.cid === cid) return pending.props;
  const props = api.properties(cid);
  // Its reader attaches after the page renders; a failure is not unhandled meanwhile.
  props.catch(() => undefined);
  return props;
}

/**
 * takeDashboard answers the prefetched dashboard once (a later visit, or a
 * retry, asks again), or fetches it, calling onDispatched once its calls are out.
 */
export function takeDashboard(api: Api, cid: string, property: string, props: Promise<PropertyList>,
  onDispatched?: () => void): Promise<DashboardData> {
  const p = take(api, cid, property);
  if (p) {
    pending = undefined;
    return p.data;
  }
  return loadDashboard(api, cid, property, props, onDispatched);
}
