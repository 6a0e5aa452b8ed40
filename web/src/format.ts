// Formatting for figures the API sends: money is dollars with cents (exact
// to the cent in the API), ratios are fractions with 4 decimals. A missing
// figure (null: nothing to compute it over) shows as an em dash, never 0.

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const usd0 = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 0 });
const pct = new Intl.NumberFormat('en-US', { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
const int = new Intl.NumberFormat('en-US');

/** The dash shown for a figure that has no value. */
export const NONE = '—';

/** money formats dollars with cents: $1,234.50. */
export function money(v: number | null | undefined): string {
  return v === null || v === undefined ? NONE : usd.format(v);
}

const byCurrency = new Map<string, Intl.NumberFormat>([['USD', usd]]);

/**
 * moneyIn formats an amount in an ISO 4217 currency (billing amounts carry
 * their plan's currency): moneyIn(12.5, 'EUR') → €12.50. An unknown code
 * shows the amount with the code rather than failing the page.
 */
export function moneyIn(v: number | null | undefined, currency: string): string {
  if (v === null || v === undefined) return NONE;
  const code = currency.toUpperCase();
  let f = byCurrency.get(code);
  if (!f) {
    try {
      f = new Intl.NumberFormat('en-US', { style: 'currency', currency: code });
    } catch {
      return `${v.toFixed(2)} ${currency}`;
    }
    byCurrency.set(code, f);
  }
  return f.format(v);
}

/** amountTotals formats a per-currency total ({USD: 12.5, EUR: 3}) as "$12.50 · €3.00". */
export function amountTotals(t: Record<string, number> | null | undefined): string {
  const e = Object.entries(t ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return e.length === 0 ? NONE : e.map(([c, v]) => moneyIn(v, c)).join(' · ');
}

/** moneyShort formats whole dollars for chart axes: $1,235. */
export function moneyShort(v: number | null | undefined): string {
  return v === null || v === undefined ? NONE : usd0.format(v);
}

/** percent formats a ratio: 0.9412 → 94.1%. */
export function percent(v: number | null | undefined): string {
  return v === null || v === undefined ? NONE : pct.format(v);
}

/** count formats an integer with separators. */
export function count(v: number | null | undefined): string {
  return v === null || v === undefined ? NONE : int.format(v);
}

/** bytes formats a file size. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

const dateTimeFmt = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short' });

/** dateTime formats an RFC 3339 instant in the reader's locale. */
export function dateTime(v: string | null | undefined): string {
  if (!v) return NONE;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? v : dateTimeFmt.format(d);
}

/** month returns YYYY-MM of d (UTC) shifted by delta months. */
export function month(d: Date, delta = 0): string {
  const x = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + delta, 1));
  return x.toISOString().slice(0, 7);
}

// One formatter for every label: toLocaleString builds a new one per call,
// and the charts format each axis label several times while laying out.
const monthFmt = new Intl.DateTimeFormat('en-US', { month: 'short', year: 'numeric', timeZone: 'UTC' });

/** monthLabel turns YYYY-MM into "Mar 2026". */
export function monthLabel(m: string): string {
  const [y, mo] = m.split('-').map(Number);
  if (!y || !mo) return m;
  return monthFmt.format(new Date(Date.UTC(y, mo - 1, 1)));
}

/**
 * csvCell quotes a value for CSV and defuses cells a spreadsheet would read
 * as a formula (= + - @, tab, CR at the start), as the finance export does.
 */
export function csvCell(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** toCSV renders rows (raw values, not formatted text) with a header line. */
export function toCSV(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/**
 * shortLabel cuts a chart's category name to max characters, ending in …,
 * so that slanted axis labels stay short enough not to collide.
 */
export function shortLabel(name: string, max = 10): string {
  return [...name].length > max ? [...name].slice(0, max - 1).join('') + '…' : name;
}
