// Shared building blocks: the loading, empty and error states every page
// shows, KPI tiles, and tables that download as CSV.
import { type ReactNode, useId, useState } from 'react';
import { Link } from 'react-router';
import { ApiError } from '../api/client';
import { count, toCSV } from '../format';

/** Loading is announced to screen readers as well as shown. */
export function Loading({ what }: { what: string }) {
  return <p className="state loading" role="status" aria-live="polite">Loading {what}…</p>;
}

/** ErrorState shows what the API said, never a stack trace. */
export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  const msg = error instanceof ApiError ? error.message : 'Something went wrong.';
  const status = error instanceof ApiError && error.status ? ` (${error.status} ${error.code})` : '';
  return (
    <div className="state error" role="alert">
      <p>Could not load this page: {msg}{status}</p>
      {retry && <button type="button" onClick={retry}>Try again</button>}
    </div>
  );
}

/** EmptyState invites the first upload when a client has no data yet. */
export function EmptyState({ cid, children }: { cid?: string; children?: ReactNode }) {
  return (
    <div className="state empty">
      <p>{children ?? 'No rent roll has been loaded yet.'}</p>
      {cid && <p><Link className="button" to={`/clients/${encodeURIComponent(cid)}/uploads`}>Upload your first rent roll</Link></p>}
    </div>
  );
}

/** Tile is one KPI. */
export function Tile({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div className="tile" data-kpi={label}>
      <div className="tile-label">{label}</div>
      <div className="tile-value">{value}</div>
      {hint && <div className="tile-hint">{hint}</div>}
    </div>
  );
}

/** A column of a DataTable: how to show a row's cell and what the CSV gets. */
export interface Column<T> {
  header: string;
  cell: (row: T) => ReactNode;
  csv: (row: T) => unknown;
  numeric?: boolean;
}

/** download saves text as a file through a temporary link. */
export function download(filename: string, data: Blob | string, type = 'text/csv;charset=utf-8') {
  const blob = typeof data === 'string' ? new Blob([data], { type }) : data;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * DataTable is a captioned table that scrolls sideways on narrow screens
 * and downloads its rows (raw values, not the formatted text) as CSV.
 */
export function DataTable<T>({ caption, rows, columns, filename, rowKey, limit }: {
  caption: string; rows: T[]; columns: Column<T>[]; filename: string; rowKey: (row: T, i: number) => string;
  /** Rows shown until the reader asks for all (a portfolio's tables can run to thousands); the CSV has every row. */
  limit?: number;
}) {
  const id = useId();
  const [all, setAll] = useState(false);
  const shown = all || limit === undefined ? rows : rows.slice(0, limit);
  const csv = () => toCSV(columns.map((c) => c.header), rows.map((r) => columns.map((c) => c.csv(r))));
  return (
    <section className="table-block" aria-labelledby={id}>
      <div className="table-head">
        <h3 id={id}>{caption}</h3>
        <button type="button" className="secondary" onClick={() => download(filename, csv())} disabled={rows.length === 0}>
          Download CSV<span className="visually-hidden"> of {caption}</span>
        </button>
      </div>
      <div className="table-scroll" tabIndex={0} role="region" aria-label={`${caption} (scrollable)`}>
        <table aria-labelledby={id}>
          <thead>
            <tr>{columns.map((c) => <th key={c.header} scope="col" className={c.numeric ? 'num' : undefined}>{c.header}</th>)}</tr>
          </thead>
          <tbody>
            {shown.map((r, i) => (
              <tr key={rowKey(r, i)}>
                {columns.map((c) => <td key={c.header} className={c.numeric ? 'num' : undefined}>{c.cell(r)}</td>)}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {shown.length < rows.length && (
        <button type="button" className="secondary more" onClick={() => setAll(true)}>
          Show all {count(rows.length)} rows<span className="visually-hidden"> of {caption}</span>
        </button>
      )}
    </section>
  );
}
