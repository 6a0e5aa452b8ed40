// Super admin: onboard a client in four steps: create it (with its first
// administrator), hand over the invitation link, load its first rent roll,
// and see its first analytics.
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { useLoad, useSession } from '../api/context';
import type { Client, Invitation } from '../api/types';
import type { Job } from '../pages/Uploads';
import { ErrorState, Loading, Tile } from '../components/ui';
import { count, dateTime, money, percent } from '../format';
import { IssueTable, send } from '../pages/Uploads';

const steps = ['Create the client', 'Invite its administrator', 'First upload', 'First analytics'];

/** Onboard is the onboarding wizard. */
export default function Onboard() {
  const [step, setStep] = useState(0);
  const [client, setClient] = useState<Client | null>(null);
  const [invitation, setInvitation] = useState<Invitation | null>(null);
  return (
    <>
      <h1>Onboard a client</h1>
      <ol className="steps" aria-label="Steps">
        {steps.map((s, i) => <li key={s} aria-current={i === step ? 'step' : undefined} className={i < step ? 'done' : i === step ? 'current' : ''}>{s}</li>)}
      </ol>
      <section className="card wizard" aria-label={steps[step]}>
        <h2>{step + 1}. {steps[step]}</h2>
        {step === 0 && <Create onDone={(c, inv) => { setClient(c); setInvitation(inv); setStep(1); }} />}
        {step === 1 && client && <Invite invitation={invitation} onNext={() => setStep(2)} />}
        {step === 2 && client && <FirstUpload cid={client.client_id} onNext={() => setStep(3)} />}
        {step === 3 && client && <FirstAnalytics client={client} />}
      </section>
    </>
  );
}

function Create({ onDone }: { onDone: (c: Client, inv: Invitation | null) => void }) {
  const { api } = useSession();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [adminName, setAdminName] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<unknown>(null);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setErr(null);
    try {
      const c = await api.createClient({ name: name.trim(), admin_email: email.trim(), admin_name: adminName.trim() || undefined });
      onDone(c, c.invitation ?? null);
    } catch (x) {
      setErr(x);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form onSubmit={(e) => void submit(e)} className="form-col">
      <label>Client name <input required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} /></label>
      <label>Administrator's e-mail <input type="email" required maxLength={254} value={email} onChange={(e) => setEmail(e.target.value)} /></label>
      <label>Administrator's name (optional) <input maxLength={200} value={adminName} onChange={(e) => setAdminName(e.target.value)} /></label>
      <button type="submit" disabled={busy}>{busy ? 'Creating…' : 'Create the client'}</button>
      {err !== null && <ErrorState error={err} />}
    </form>
  );
}

function Invite({ invitation, onNext }: { invitation: Invitation | null; onNext: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div>
      {invitation ? (
        <>
          <p>An invitation was sent to <strong>{invitation.email}</strong>. It is valid until {dateTime(invitation.expires_at)}; you can also hand over the link:</p>
          <p><a className="invitation" href={invitation.url}>{invitation.url}</a></p>
          <button type="button" className="secondary" onClick={() => void navigator.clipboard?.writeText(invitation.url).then(() => setCopied(true))}>{copied ? 'Copied' : 'Copy the link'}</button>
        </>
      ) : (
        <p>The platform answered without an invitation link: add the administrator on the client's Users page.</p>
      )}
      <p><button type="button" onClick={onNext}>Next: first upload</button></p>
    </div>
  );
}

function FirstUpload({ cid, onNext }: { cid: string; onNext: () => void }) {
  const { api } = useSession();
  const [job, setJob] = useState<Job | null>(null);
  function pick(files: FileList | null) {
    const file = files?.[0];
    if (!file) return;
    const j: Job = { key: file.name, file, phase: 'waiting', sent: 0 };
    setJob(j);
    void send(api, cid, 'rent_roll', '', file, (p) => setJob((x) => (x ? { ...x, ...p } : x)));
  }
  const u = job?.upload;
  return (
    <div>
      <p>Upload the client's first rent roll (.csv or .xlsx) on its behalf, or skip this step and let its administrator do it.</p>
      <label className="button secondary">Choose a rent roll
        <input className="visually-hidden" type="file" accept=".csv,.xlsx" onChange={(e) => pick(e.target.files)} />
      </label>
      {job && (
        <div className="job" data-status={job.phase === 'error' ? 'error' : u?.status ?? job.phase}>
          <p><strong>{job.file.name}</strong> <progress max={job.file.size || 1} value={job.sent} aria-label={`Sending ${job.file.name}`} /> <span role="status">{job.phase === 'error' ? job.message : u?.status ?? job.phase}</span></p>
          {u?.status === 'loaded' && <p>{count(u.rows_loaded)} rows loaded{u.as_of ? `, as of ${u.as_of}` : ''}.</p>}
          {u && (u.status === 'rejected' || u.status === 'failed') && <IssueTable issues={u.errors} caption={`Errors in ${job.file.name}`} filename={`errors-${u.upload_id}.csv`} />}
        </div>
      )}
      <p><button type="button" onClick={onNext} disabled={!!job && job.phase !== 'done' && job.phase !== 'error'}>{u?.status === 'loaded' ? 'Next: first analytics' : 'Skip'}</button></p>
    </div>
  );
}

function FirstAnalytics({ client }: { client: Client }) {
  const { api } = useSession();
  const s = useLoad(() => api.summary(client.client_id), [api, client.client_id]);
  const dash = `/clients/${encodeURIComponent(client.client_id)}/dashboard`;
  return (
    <div>
      {s.state === 'loading' && <Loading what="the first figures" />}
      {s.state === 'error' && <ErrorState error={s.error} retry={s.reload} />}
      {s.state === 'ok' && !s.data.data && <p>No rent roll is loaded yet: the figures appear once the first one is.</p>}
      {s.state === 'ok' && s.data.data && (
        <section className="tiles" aria-label="First figures">
          <Tile label="Units" value={count(s.data.totals.units)} />
          <Tile label="Physical occupancy" value={percent(s.data.totals.physical_occupancy)} />
          <Tile label="Gross potential rent" value={money(s.data.totals.gpr)} />
        </section>
      )}
      <p><strong>{client.name}</strong> ({client.client_id}) is onboarded. <Link to={dash}>Open its dashboard</Link> · <Link to="/admin/clients">All clients</Link></p>
    </div>
  );
}
