// Uploads: drop several files, each goes to its own signed URL with a
// progress bar, then its status is followed until it is loaded or rejected;
// a rejected file shows its row-level errors. Below, the upload history.
import { type DragEvent, useCallback, useEffect, useRef, useState } from 'react';
import { useParams } from 'react-router';
import { ApiError, putSigned, type Api } from '../api/client';
import { useLoad, useSession } from '../api/context';
import type { Upload, UploadIssue, UploadKind } from '../api/types';
import { DataTable, download, EmptyState, ErrorState, Loading } from '../components/ui';
import { bytes, count, dateTime } from '../format';

/** The content types the platform accepts, by file extension. */
export const contentTypes: Record<string, string> = {
  csv: 'text/csv',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** The platform's default size limit for one file. */
export const maxBytes = 100 * 1024 * 1024;

const terminal = new Set(['loaded', 'rejected', 'failed', 'withdrawn']);

/** One file's way through the upload. */
export interface Job {
  key: string;
  file: File;
  phase: 'waiting' | 'sending' | 'processing' | 'done' | 'error';
  sent: number;
  upload?: Upload;
  message?: string;
}

/** contentTypeOf names the file's content type, or null when not accepted. */
export function contentTypeOf(name: string): string | null {
  const ext = name.toLowerCase().split('.').pop() ?? '';
  return contentTypes[ext] ?? null;
}

/**
 * send uploads one file: ask for a signed URL, PUT the bytes with
 * progress, then poll the upload until it settles.
 */
export async function send(api: Api, cid: string, kind: UploadKind, propertyId: string, file: File,
  update: (j: Partial<Job>) => void, pollMs = 750, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<void> {
  const type = contentTypeOf(file.name);
  if (!type) { update({ phase: 'error', message: 'Only .csv and .xlsx files are accepted.' }); return; }
  if (file.size > maxBytes) { update({ phase: 'error', message: `The file is larger than ${bytes(maxBytes)}.` }); return; }
  if (file.size === 0) { update({ phase: 'error', message: 'The file is empty.' }); return; }
  try {
    update({ phase: 'sending', sent: 0 });
    const ticket = await api.createUpload(cid, { kind, filename: file.name, content_type: type, size_bytes: file.size, property_id: propertyId || undefined });
    await putSigned(ticket, file, (loaded) => update({ sent: loaded }));
    update({ phase: 'processing', sent: file.size });
    for (;;) {
      const u = await api.upload(cid, ticket.upload_id);
      update({ upload: u });
      if (terminal.has(u.status)) { update({ phase: 'done' }); return; }
      await sleep(pollMs);
    }
  } catch (e) {
    update({ phase: 'error', message: e instanceof ApiError ? e.message : 'The upload failed.' });
  }
}

/** Uploads is the upload page. */
export default function Uploads() {
  const { api, me } = useSession();
  const { cid = '' } = useParams();
  // Withdrawing is the client admin's (and the operator's); the API checks it too.
  const canWithdraw = me.role === 'client_admin' || me.role === 'super_admin';
  const [confirm, setConfirm] = useState<Upload | null>(null);
  const [actionMsg, setActionMsg] = useState<{ text: string; error: boolean } | null>(null);
  const [kind, setKind] = useState<UploadKind>('rent_roll');
  const [propertyId, setPropertyId] = useState('');
  const [jobs, setJobs] = useState<Job[]>([]);
  const [over, setOver] = useState(false);
  const [open, setOpen] = useState<string | null>(null);
  const history = useLoad(() => api.uploads(cid, { limit: 50 }), [api, cid]);
  const input = useRef<HTMLInputElement>(null);
  const seq = useRef(0);

  const reload = history.reload;
  useRefreshWhilePending(history.data?.uploads, reload);
  const start = useCallback((files: File[]) => {
    const fresh = files.map((file) => ({ key: `${++seq.current}-${file.name}`, file, phase: 'waiting' as const, sent: 0 }));
    setJobs((js) => [...fresh, ...js]);
    for (const j of fresh) {
      const update = (p: Partial<Job>) => setJobs((js) => js.map((x) => (x.key === j.key ? { ...x, ...p } : x)));
      void send(api, cid, kind, propertyId.trim(), j.file, update).then(reload);
    }
  }, [api, cid, kind, propertyId, reload]);

  async function withdraw(u: Upload) {
    setConfirm(null);
    try {
      await api.withdrawUpload(cid, u.upload_id);
      setActionMsg({ text: `${u.filename} was withdrawn: its rows no longer count in analytics.`, error: false });
    } catch (e) {
      setActionMsg({ text: e instanceof ApiError ? e.message : 'The upload could not be withdrawn.', error: true });
    }
    reload();
  }

  async function report(u: Upload) {
    try {
      download(`report-${u.upload_id}.csv`, await api.uploadReport(cid, u.upload_id));
    } catch (e) {
      setActionMsg({ text: e instanceof ApiError ? e.message : 'The report could not be downloaded.', error: true });
    }
  }

  function drop(e: DragEvent) {
    e.preventDefault();
    setOver(false);
    start(Array.from(e.dataTransfer.files));
  }

  return (
    <>
      <h1>Uploads</h1>
      <div className="card form-row">
        <label>Kind
          <select value={kind} onChange={(e) => setKind(e.target.value as UploadKind)}>
            <option value="rent_roll">Rent roll</option>
            <option value="competition">Competition survey</option>
          </select>
        </label>
        <label>Property id (optional) <input value={propertyId} maxLength={128} onChange={(e) => setPropertyId(e.target.value)} placeholder="when the file does not say" /></label>
      </div>
      <div className={over ? 'dropzone over' : 'dropzone'} data-testid="dropzone"
        onDragOver={(e) => { e.preventDefault(); setOver(true); }} onDragLeave={() => setOver(false)} onDrop={drop}>
        <p>Drop rent rolls or surveys here (.csv, .xlsx; several at once), or</p>
        <button type="button" onClick={() => input.current?.click()}>Choose files</button>
        <input ref={input} className="visually-hidden" type="file" multiple accept=".csv,.xlsx" aria-label="Files to upload"
          onChange={(e) => { start(Array.from(e.target.files ?? [])); e.target.value = ''; }} />
      </div>
      {jobs.length > 0 && (
        <ul className="jobs" aria-label="Files being uploaded">
          {jobs.map((j) => <JobRow key={j.key} job={j} />)}
        </ul>
      )}
      <h2>History</h2>
      {history.state === 'loading' && <Loading what="upload history" />}
      {history.state === 'error' && <ErrorState error={history.error} retry={history.reload} />}
      {history.state === 'ok' && history.data.uploads.length === 0 && <EmptyState>No file has been uploaded yet: upload your first rent roll above.</EmptyState>}
      {history.state === 'ok' && history.data.uploads.length > 0 && (
        <>
          <DataTable<Upload> caption="Upload history" filename={`uploads-${cid}.csv`} rows={history.data.uploads} rowKey={(u) => u.upload_id}
            columns={[
              { header: 'File', cell: (u) => u.filename, csv: (u) => u.filename },
              { header: 'Kind', cell: (u) => u.kind.replace('_', ' '), csv: (u) => u.kind },
              { header: 'Status', cell: (u) => <span className={`badge ${u.status}`}>{u.status}</span>, csv: (u) => u.status },
              { header: 'As of', cell: (u) => u.as_of ?? '—', csv: (u) => u.as_of },
              { header: 'Rows loaded', cell: (u) => `${count(u.rows_loaded)} / ${count(u.rows_total)}`, csv: (u) => u.rows_loaded, numeric: true },
              { header: 'Errors', csv: (u) => u.error_count, numeric: true, cell: (u) => u.error_count === 0 ? '0' : (
                <button type="button" className="link" aria-expanded={open === u.upload_id} onClick={() => setOpen(open === u.upload_id ? null : u.upload_id)}>
                  {count(u.error_count)}<span className="visually-hidden"> errors in {u.filename}: show</span>
                </button>
              ) },
              { header: 'Uploaded', cell: (u) => dateTime(u.created_at), csv: (u) => u.created_at },
              { header: 'Actions', csv: () => '', cell: (u) => (
                <span className="actions">
                  {terminal.has(u.status) && (
                    <button type="button" className="link" aria-label={`Report of ${u.filename} (CSV)`} onClick={() => void report(u)}>Report (CSV)</button>
                  )}
                  {canWithdraw && u.status === 'loaded' && (
                    <button type="button" className="link danger" aria-label={`Withdraw ${u.filename}`} onClick={() => { setActionMsg(null); setConfirm(u); }}>Withdraw</button>
                  )}
                </span>
              ) },
            ]} />
          {confirm && (
            <div className="card confirm" role="alertdialog" aria-labelledby="withdraw-title" aria-describedby="withdraw-desc">
              <p id="withdraw-title"><strong>Withdraw {confirm.filename}?</strong></p>
              <p id="withdraw-desc">Its rows leave analytics and the property's previous roll counts again. Months already billed are not changed; the file is kept.</p>
              <div className="form-row">
                <button type="button" className="danger" onClick={() => void withdraw(confirm)}>Withdraw the upload</button>
                <button type="button" className="secondary" onClick={() => setConfirm(null)}>Cancel</button>
              </div>
            </div>
          )}
          {actionMsg && <p className={actionMsg.error ? 'error-text' : 'notice'} role={actionMsg.error ? 'alert' : 'status'}>{actionMsg.text}</p>}
          {open && <HistoryErrors cid={cid} id={open} />}
        </>
      )}
    </>
  );
}

function JobRow({ job }: { job: Job }) {
  const u = job.upload;
  const status = job.phase === 'error' ? 'error' : u?.status ?? (job.phase === 'sending' ? 'sending' : job.phase);
  return (
    <li className="job" data-file={job.file.name} data-status={status}>
      <div className="job-line">
        <strong>{job.file.name}</strong> <span className="muted">{bytes(job.file.size)}</span>
        <progress max={job.file.size || 1} value={job.sent} aria-label={`Sending ${job.file.name}`} />
        <span className={`badge ${status}`} role="status">{statusText(job)}</span>
      </div>
      {job.message && <p className="error-text" role="alert">{job.message}</p>}
      {u && u.status === 'loaded' && <p className="muted">{count(u.rows_loaded)} rows loaded{u.properties?.length ? ` for ${u.properties.join(', ')}` : ''}{u.as_of ? `, as of ${u.as_of}` : ''}{u.warning_count ? ` · ${count(u.warning_count)} warnings` : ''}.</p>}
      {u && (u.status === 'rejected' || u.status === 'failed') && (
        <>
          {u.message && <p className="error-text">{u.message}</p>}
          <IssueTable issues={u.errors} caption={`Errors in ${job.file.name}`} filename={`errors-${u.upload_id}.csv`} />
        </>
      )}
    </li>
  );
}

function statusText(j: Job): string {
  if (j.phase === 'error') return 'not sent';
  if (j.phase === 'sending') return `sending ${Math.floor((100 * j.sent) / (j.file.size || 1))}%`;
  if (j.upload) return j.upload.status;
  return j.phase;
}

function HistoryErrors({ cid, id }: { cid: string; id: string }) {
  const { api } = useSession();
  const u = useLoad(() => api.upload(cid, id), [api, cid, id]);
  if (u.state === 'loading') return <Loading what="errors" />;
  if (u.state === 'error') return <ErrorState error={u.error} />;
  return <IssueTable issues={u.data.errors} caption={`Errors in ${u.data.filename}`} filename={`errors-${id}.csv`} />;
}

/** IssueTable is the row-level error table of an upload. */
export function IssueTable({ issues, caption, filename }: { issues: UploadIssue[]; caption: string; filename: string }) {
  if (issues.length === 0) return null;
  return (
    <DataTable<UploadIssue> caption={caption} filename={filename} rows={issues} rowKey={(_r, i) => `${i}`}
      columns={[
        { header: 'Row', cell: (r) => (r.row ? count(r.row) : '—'), csv: (r) => r.row, numeric: true },
        { header: 'Column', cell: (r) => r.column || '—', csv: (r) => r.column },
        { header: 'Code', cell: (r) => r.code, csv: (r) => r.code },
        { header: 'Message', cell: (r) => r.message, csv: (r) => r.message },
      ]} />
  );
}

/** useRefreshWhilePending reloads the history while an upload in it is still being processed. */
function useRefreshWhilePending(uploads: Upload[] | undefined, reload: () => void) {
  useEffect(() => {
    if (!uploads?.some((u) => !terminal.has(u.status))) return;
    const t = setTimeout(reload, 1500);
    return () => clearTimeout(t);
  }, [uploads, reload]);
}
