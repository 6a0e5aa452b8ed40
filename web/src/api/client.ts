// The console's only way to the platform: the public /v1 API, with the
// signed-in user's access token. Every call answers the shapes of the
// generated contract types; an error answers an ApiError with the API's code.
import type {
  AllClients, AuditEntry, BillingRun, Client, ClientBillingUnits, Competition, Expirations,
  Invitation, Principal, Property, Role, Summary, Trend, Upload, UploadKind, UploadTicket, Usage, User, UserPatch,
} from './types';

/** An error the API answered (or the network failed with: status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** A user to invite: the platform creates them at the identity provider. */
export interface InviteUser {
  email: string;
  role: Role;
  name?: string;
}

/** A new client and the e-mail of its first administrator. */
export interface CreateClient {
  name: string;
  admin_email: string;
  admin_name?: string;
  billing_email?: string;
}

/** Query parameters; undefined and empty values are left out. */
export type Query = Record<string, string | number | undefined>;

/** The API as the pages see it; tests give the pages an in-memory one. */
export interface Api {
  me(): Promise<Principal>;
  properties(cid: string): Promise<{ properties: Property[] }>;
  summary(cid: string, q?: Query): Promise<Summary>;
  trend(cid: string, q: Query): Promise<Trend>;
  expirations(cid: string, q: Query): Promise<Expirations>;
  competition(cid: string, q?: Query): Promise<Competition>;
  uploads(cid: string, q?: Query): Promise<{ uploads: Upload[]; next_page_token?: string }>;
  upload(cid: string, id: string): Promise<Upload>;
  /** withdrawUpload takes a loaded upload back out of analytics (the file is kept). */
  withdrawUpload(cid: string, id: string): Promise<Upload>;
  /** uploadReport is an upload's full issue report as a spreadsheet (CSV). */
  uploadReport(cid: string, id: string): Promise<Blob>;
  createUpload(cid: string, body: { kind: UploadKind; filename: string; content_type: string; size_bytes: number; property_id?: string }): Promise<UploadTicket>;
  users(cid: string): Promise<{ users: User[] }>;
  inviteUser(cid: string, body: InviteUser): Promise<User & { invitation?: Invitation }>;
  patchUser(cid: string, sub: string, body: UserPatch): Promise<User>;
  removeUser(cid: string, sub: string): Promise<void>;
  billingUnits(cid: string, q: Query): Promise<ClientBillingUnits>;
  clients(): Promise<{ clients: Client[] }>;
  client(cid: string): Promise<Client>;
  createClient(body: CreateClient): Promise<Client & { invitation?: Invitation }>;
  patchClient(cid: string, body: { name?: string; status?: 'active' | 'suspended' }): Promise<Client>;
  adminSummary(): Promise<AllClients>;
  usage(month: string): Promise<Usage>;
  runBilling(month: string): Promise<BillingRun>;
  billingRun(month: string): Promise<BillingRun>;
  billingExport(month: string): Promise<Blob>;
  audit(q: Query): Promise<{ entries: AuditEntry[]; next_page_token?: string }>;
  health(): Promise<{ status: string }>;
}

/** Builds a query string from q, leaving out empty values. */
export function queryString(q?: Query): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v !== undefined && v !== '') p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

const enc = encodeURIComponent;

/** HttpApi calls the platform at base with a bearer token from token(). */
export class HttpApi implements Api {
  private readonly base: string;
  private readonly token: () => Promise<string>;
  private readonly fetchFn: typeof fetch;

  constructor(base: string, token: () => Promise<string>, fetchFn: typeof fetch = fetch.bind(globalThis)) {
    this.base = base.replace(/\/$/, '');
    this.token = token;
    this.fetchFn = fetchFn;
  }

  private async raw(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { Authorization: `Bearer ${await this.token()}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await this.fetchFn(this.base + path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, 'network', 'The platform could not be reached. Check your connection and try again.');
    }
    if (!res.ok) {
      let code = 'http_' + res.status;
      let message = res.statusText || 'The request failed.';
      try {
        const e = (await res.json()) as { error?: { code?: string; message?: string } };
        if (e.error?.code) code = e.error.code;
        if (e.error?.message) message = e.error.message;
      } catch {
        // Not the API's error shape (a proxy's page): keep the status text.
      }
      throw new ApiError(res.status, code, message);
    }
    return res;
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.raw(method, path, body);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  me() { return this.json<Principal>('GET', '/v1/me'); }
  properties(cid: string) { return this.json<{ properties: Property[] }>('GET', `/v1/clients/${enc(cid)}/properties?limit=500`); }
  summary(cid: string, q?: Query) { return this.json<Summary>('GET', `/v1/clients/${enc(cid)}/analytics/rent-roll/summary${queryString(q)}`); }
  trend(cid: string, q: Query) { return this.json<Trend>('GET', `/v1/clients/${enc(cid)}/analytics/rent-roll/trend${queryString(q)}`); }
  expirations(cid: string, q: Query) { return this.json<Expirations>('GET', `/v1/clients/${enc(cid)}/analytics/rent-roll/expirations${queryString(q)}`); }
  competition(cid: string, q?: Query) { return this.json<Competition>('GET', `/v1/clients/${enc(cid)}/analytics/competition${queryString(q)}`); }
  uploads(cid: string, q?: Query) { return this.json<{ uploads: Upload[]; next_page_token?: string }>('GET', `/v1/clients/${enc(cid)}/uploads${queryString(q)}`); }
  upload(cid: string, id: string) { return this.json<Upload>('GET', `/v1/clients/${enc(cid)}/uploads/${enc(id)}`); }
  withdrawUpload(cid: string, id: string) { return this.json<Upload>('DELETE', `/v1/clients/${enc(cid)}/uploads/${enc(id)}`); }
  async uploadReport(cid: string, id: string) { return (await this.raw('GET', `/v1/clients/${enc(cid)}/uploads/${enc(id)}/report?format=csv`)).blob(); }
  createUpload(cid: string, body: { kind: UploadKind; filename: string; content_type: string; size_bytes: number; property_id?: string }) {
    return this.json<UploadTicket>('POST', `/v1/clients/${enc(cid)}/uploads`, body);
  }
  users(cid: string) { return this.json<{ users: User[] }>('GET', `/v1/clients/${enc(cid)}/users?limit=500`); }
  inviteUser(cid: string, body: InviteUser) { return this.json<User & { invitation?: Invitation }>('POST', `/v1/clients/${enc(cid)}/users`, body); }
  patchUser(cid: string, sub: string, body: UserPatch) { return this.json<User>('PATCH', `/v1/clients/${enc(cid)}/users/${enc(sub)}`, body); }
  async removeUser(cid: string, sub: string) { await this.raw('DELETE', `/v1/clients/${enc(cid)}/users/${enc(sub)}`); }
  billingUnits(cid: string, q: Query) { return this.json<ClientBillingUnits>('GET', `/v1/clients/${enc(cid)}/billing/units${queryString(q)}`); }
  clients() { return this.json<{ clients: Client[] }>('GET', '/v1/admin/clients?limit=500'); }
  client(cid: string) { return this.json<Client>('GET', `/v1/admin/clients/${enc(cid)}`); }
  createClient(body: CreateClient) { return this.json<Client & { invitation?: Invitation }>('POST', '/v1/admin/clients', body); }
  patchClient(cid: string, body: { name?: string; status?: 'active' | 'suspended' }) { return this.json<Client>('PATCH', `/v1/admin/clients/${enc(cid)}`, body); }
  adminSummary() { return this.json<AllClients>('GET', '/v1/admin/summary'); }
  usage(month: string) { return this.json<Usage>('GET', `/v1/admin/usage${queryString({ month })}`); }
  runBilling(month: string) { return this.json<BillingRun>('POST', '/v1/admin/billing/runs', { month }); }
  billingRun(month: string) { return this.json<BillingRun>('GET', `/v1/admin/billing/runs/${enc(month)}`); }
  async billingExport(month: string) { return (await this.raw('GET', `/v1/admin/billing/runs/${enc(month)}/export.csv`)).blob(); }
  audit(q: Query) { return this.json<{ entries: AuditEntry[]; next_page_token?: string }>('GET', `/v1/admin/audit${queryString(q)}`); }
  async health() {
    const res = await this.fetchFn(this.base + '/healthz');
    if (!res.ok) throw new ApiError(res.status, 'unhealthy', 'The platform answered ' + res.status);
    return (await res.json()) as { status: string };
  }
}

/** The result of PUTting a file to its signed URL. */
export type PutProgress = (loaded: number, total: number) => void;

/**
 * putSigned sends file to the signed URL of ticket with the headers the URL
 * pins, reporting progress. It uses XMLHttpRequest because fetch reports no
 * upload progress in browsers.
 */
export function putSigned(ticket: UploadTicket, file: Blob, onProgress: PutProgress): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(ticket.method, ticket.upload_url);
    for (const [k, v] of Object.entries(ticket.headers)) {
      // The browser sets Content-Length itself and refuses to be told.
      if (k.toLowerCase() === 'content-length' || k.toLowerCase() === 'host') continue;
      xhr.setRequestHeader(k, v);
    }
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded, e.total); };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(file.size, file.size);
        resolve();
      } else {
        reject(new ApiError(xhr.status, 'upload_refused', `The storage refused the file (HTTP ${xhr.status}).`));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'The file could not be sent: the connection failed.'));
    xhr.send(file);
  });
}
