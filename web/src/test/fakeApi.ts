// An in-memory API for component tests: it records every call and answers
// from data the test sets, so tests check both what a page shows and what
// it asked for.
import type { Api, CreateClient, InviteUser, Query } from '../api/client';
import { ApiError } from '../api/client';
import type {
  AllClients, AuditEntry, BillingRun, Client, ClientBillingUnits, Competition, Expirations, Invitation, Metrics, MonthUnits,
  Principal, Property, Summary, Trend, Upload, UploadKind, UploadTicket, Usage, User, UserPatch,
} from '../api/types';

export const metrics: Metrics = {
  units: 1200, occupied: 1110, notice: 12, vacant: 90, physical_occupancy: 0.925, economic_occupancy: 0.8947,
  gpr: 1850000.5, in_place_rent: 1667250.25, loss_to_lease: 21000, loss_to_lease_pct: 0.0121, gain_to_lease: 3500,
  gain_to_lease_pct: 0.002, avg_market_rent: 1541.67, avg_lease_rent: 1502.03, avg_market_rent_psf: 1.82, avg_lease_rent_psf: 1.79,
  // leased + exposure = occupied + vacant, and the waterfall closes to the cent (docs/metrics.md).
  preleased: 20, leased: 1125, leased_pct: 0.9375, exposure: 75, exposure_pct: 0.0625,
  non_revenue_units: 6, model: 2, down: 3, admin: 1, employee: 4,
  vacancy_loss: 150250.25, non_revenue_loss: 15000, concessions: 12000, effective_rent: 1655250.25,
};

export function summary(data = true): Summary {
  return {
    as_of: data ? '2026-03-31' : null, property_id: null, data, totals: metrics,
    properties: data ? [
      { property_id: 'p1', as_of: '2026-03-31', stale: false, units: 400 },
      { property_id: 'p2', as_of: '2026-03-31', stale: false, units: 500 },
      { property_id: 'p3', as_of: '2026-01-31', stale: true, units: 300 },
    ] : [],
    by_unit_type: data ? [{ unit_type: '1x1', ...metrics }, { unit_type: '2x2', ...metrics, avg_lease_rent: null }] : [],
    by_bedrooms: [], by_property_unit_type: [],
  };
}

export class FakeApi implements Api {
  calls: string[] = [];
  fail: Record<string, ApiError> = {};
  data = {
    summary: summary(),
    properties: [{ property_id: 'p1', property_name: 'Oak Court', as_of_date: '2026-03-31', units: 400 }] as Property[],
    // undefined: no survey loaded.
    competition: undefined as Competition | undefined,
    uploads: [] as Upload[],
    uploadStates: {} as Record<string, Upload[]>,
    users: [] as User[],
    billingMonths: [] as MonthUnits[],
    // undefined: an empty month; null: no run for the month (the API's 404).
    usage: undefined as Usage | null | undefined,
    invitation: { email: 'new@x.example', url: 'http://127.0.0.1/invitation?ticket=t', expires_at: '2026-12-08T00:00:00Z' } as Invitation,
  };

  private call<T>(name: string, v: T): Promise<T> {
    this.calls.push(name);
    const f = this.fail[name.split(' ')[0] ?? ''];
    return f ? Promise.reject(f) : Promise.resolve(v);
  }

  me(): Promise<Principal> { return this.call('me', { sub: 's', role: 'client_admin', client_id: 'c1' }); }
  properties(cid: string) { return this.call(`properties ${cid}`, { properties: this.data.properties }); }
  summary(cid: string, q?: Query) { return this.call(`summary ${cid} ${JSON.stringify(q ?? {})}`, this.data.summary); }
  trend(cid: string, q: Query): Promise<Trend> {
    return this.call(`trend ${cid} ${q.from}..${q.to}`, {
      property_id: null, from: String(q.from), to: String(q.to), data: true,
      months: [{ ...metrics, month: String(q.to), as_of: '2026-03-31', data: true, properties: 3 }],
    });
  }
  expirations(cid: string, q: Query): Promise<Expirations> {
    return this.call(`expirations ${cid} ${q.from}`, {
      as_of: '2026-03-31', property_id: null, data: true, from: String(q.from), months: 12, occupied: 1110, before_from: 0, after: 0, no_lease_end: 0,
      expirations: [{ month: '2026-04', units: 40, lease_rent: 60000, market_rent: 61000, pct_of_occupied: 0.036 }],
      month_to_month: 0, notice: 0, renewed: 0,
    });
  }
  competition(cid: string): Promise<Competition> {
    return this.call(`competition ${cid}`, this.data.competition ?? { as_of: '2026-03-31', property_id: null, data: false, by_unit_type: [] });
  }
  uploads(cid: string) { return this.call(`uploads ${cid}`, { uploads: this.data.uploads }); }
  upload(cid: string, id: string): Promise<Upload> {
    const states = this.data.uploadStates[id] ?? [];
    const u = states.length > 1 ? states.shift() : states[0];
    if (!u) return Promise.reject(new ApiError(404, 'not_found', 'no such upload'));
    return this.call(`upload ${cid} ${id}`, u);
  }
  withdrawUpload(cid: string, id: string): Promise<Upload> {
    const u = this.data.uploads.find((x) => x.upload_id === id);
    if (!u) return Promise.reject(new ApiError(404, 'not_found', 'no such upload'));
    if (u.status !== 'loaded' && u.status !== 'withdrawn') return Promise.reject(new ApiError(409, 'upload_not_loaded', 'only a loaded upload can be withdrawn'));
    u.status = 'withdrawn';
    return this.call(`withdrawUpload ${cid} ${id}`, { ...u });
  }
  uploadReport(cid: string, id: string) { return this.call(`uploadReport ${cid} ${id}`, new Blob(['severity,row,column,code,message\r\n'])); }
  createUpload(cid: string, body: { kind: UploadKind; filename: string; content_type: string; size_bytes: number }): Promise<UploadTicket> {
    return this.call(`createUpload ${cid} ${body.kind} ${body.filename} ${body.content_type} ${body.size_bytes}`, {
      upload_id: 'u-' + body.filename, object: 'o', upload_url: 'http://storage.test/put/' + body.filename, method: 'PUT',
      headers: { 'Content-Type': body.content_type, 'x-goog-if-generation-match': '0' }, expires_at: '2026-12-01T00:00:00Z',
    });
  }
  users(cid: string) { return this.call(`users ${cid}`, { users: this.data.users }); }
  inviteUser(cid: string, body: InviteUser) {
    const u: User = { sub: 'new', email: body.email, role: body.role, client_id: cid, disabled: false, created_at: '', updated_at: '' };
    return this.call(`inviteUser ${cid} ${JSON.stringify(body)}`, { ...u, invitation: { ...this.data.invitation, email: body.email } });
  }
  patchUser(cid: string, sub: string, body: UserPatch): Promise<User> {
    const u = this.data.users.find((x) => x.sub === sub);
    return u ? this.call(`patchUser ${cid} ${sub} ${JSON.stringify(body)}`, { ...u, ...body }) : Promise.reject(new ApiError(404, 'not_found', 'no such user'));
  }
  removeUser(cid: string, sub: string) { return this.call(`removeUser ${cid} ${sub}`, undefined); }
  billingUnits(cid: string): Promise<ClientBillingUnits> { return this.call(`billingUnits ${cid}`, { months: this.data.billingMonths }); }
  clients() { return this.call('clients', { clients: [] as Client[] }); }
  client(cid: string): Promise<Client> { return this.call(`client ${cid}`, { client_id: cid, name: cid, status: 'active', dataset: '', created_at: '', updated_at: '' }); }
  createClient(body: CreateClient) {
    return this.call(`createClient ${JSON.stringify(body)}`, {
      client_id: 'acme', name: body.name, status: 'active' as const, dataset: 'client_acme', created_at: '', updated_at: '',
      invitation: { ...this.data.invitation, email: body.admin_email },
    });
  }
  patchClient(cid: string, body: { status?: 'active' | 'suspended' }): Promise<Client> {
    return this.call(`patchClient ${cid} ${JSON.stringify(body)}`, { client_id: cid, name: cid, status: body.status ?? 'active', dataset: '', created_at: '', updated_at: '' });
  }
  adminSummary(): Promise<AllClients> {
    return this.call('adminSummary', { generated_at: '', month: '2026-03', clients: [], totals: { clients: 0, unavailable: 0, units: 0, occupied: 0, physical_occupancy: null, gpr: 0, uploads_this_month: 0 } });
  }
  usage(month: string): Promise<Usage> {
    if (this.data.usage === null) return Promise.reject(new ApiError(404, 'not_found', `billing run ${month} not found`));
    return this.call(`usage ${month}`, this.data.usage ?? { month, total_units: 0, clients: [], amount_totals: {}, stale_properties: 0 });
  }
  runBilling(month: string): Promise<BillingRun> { return this.call(`runBilling ${month}`, {
      month, run_id: 'r', status: 'exported', clients: 0, units_total: 0, export: { bucket: 'b', object: 'o', sha256: 'x' },
      amount_totals: {}, stale_properties: 0, report: { status: 'off', reported: 0, unmapped: 0, attempts: 0 },
    }); }
  billingRun(month: string): Promise<BillingRun> { return this.call(`billingRun ${month}`, {
      month, run_id: 'r', status: 'exported', clients: 0, units_total: 0, export: { bucket: 'b', object: 'o', sha256: 'x' },
      amount_totals: {}, stale_properties: 0, report: { status: 'off', reported: 0, unmapped: 0, attempts: 0 },
    }); }
  billingExport(month: string) { return this.call(`billingExport ${month}`, new Blob(['a,b\n'])); }
  audit() { return this.call('audit', { entries: [] as AuditEntry[] }); }
  health() { return this.call('health', { status: 'ok' }); }
}
