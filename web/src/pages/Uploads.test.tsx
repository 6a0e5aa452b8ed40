import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Upload } from '../api/types';
import { FakeApi } from '../test/fakeApi';
import { clientAdmin, clientUser, renderAt } from '../test/render';
import userEvent from '@testing-library/user-event';

// FakeXHR stands in for the browser's XMLHttpRequest: it records what the
// page sends to the signed URL and reports upload progress in two steps.
class FakeXHR {
  static sent: { method: string; url: string; headers: Record<string, string>; size: number }[] = [];
  static status = 200;
  upload: { onprogress: ((e: { lengthComputable: boolean; loaded: number; total: number }) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  status = 0;
  private req = { method: '', url: '', headers: {} as Record<string, string>, size: 0 };
  open(method: string, url: string) { this.req.method = method; this.req.url = url; }
  setRequestHeader(k: string, v: string) { this.req.headers[k] = v; }
  send(body: Blob) {
    this.req.size = body.size;
    FakeXHR.sent.push(this.req);
    setTimeout(() => {
      this.upload.onprogress?.({ lengthComputable: true, loaded: Math.floor(body.size / 2), total: body.size });
      this.status = FakeXHR.status;
      this.onload?.();
    }, 5);
  }
}

const real = globalThis.XMLHttpRequest;
beforeEach(() => { FakeXHR.sent = []; FakeXHR.status = 200; globalThis.XMLHttpRequest = FakeXHR as unknown as typeof XMLHttpRequest; });
afterEach(() => { globalThis.XMLHttpRequest = real; });

function upload(id: string, status: Upload['status'], extra: Partial<Upload> = {}): Upload {
  return {
    upload_id: id, client_id: 'c1', kind: 'rent_roll', filename: id.slice(2), content_type: 'text/csv', size_bytes: 10, object: 'o',
    status, rows_total: 3, rows_loaded: status === 'loaded' ? 3 : 0, errors: [], warnings: [], error_count: 0, warning_count: 0,
    created_at: '2026-03-31T10:00:00Z', updated_at: '', ...extra,
  } as Upload;
}

describe('Uploads', () => {
  it('sends dropped files to their signed URLs and follows each until loaded or rejected', async () => {
    const api = new FakeApi();
    api.data.uploadStates['u-good.csv'] = [upload('u-good.csv', 'processing'), upload('u-good.csv', 'loaded', { as_of: '2026-03-31' })];
    api.data.uploadStates['u-bad.csv'] = [upload('u-bad.csv', 'rejected', {
      message: 'The file has errors.', error_count: 2,
      errors: [{ row: 4, column: 'unit', code: 'missing_unit', message: 'a unit row has no unit id' }, { row: 9, column: 'rent', code: 'bad_money', message: 'not an amount' }],
    })];
    renderAt('/clients/c1/uploads', clientUser, api);
    await screen.findByText(/No file has been uploaded yet/);
    const good = new File(['unit,rent\n1,2\n'], 'good.csv', { type: 'text/csv' });
    const bad = new File(['x'], 'bad.csv', { type: 'text/csv' });
    const wrong = new File(['x'], 'notes.pdf', { type: 'application/pdf' });
    fireEvent.drop(screen.getByTestId('dropzone'), { dataTransfer: { files: [good, bad, wrong] } });

    const jobs = await screen.findByRole('list', { name: 'Files being uploaded' });
    await waitFor(() => expect(jobs.querySelector('[data-file="good.csv"]')).toHaveAttribute('data-status', 'loaded'), { timeout: 8000 });
    await waitFor(() => expect(jobs.querySelector('[data-file="bad.csv"]')).toHaveAttribute('data-status', 'rejected'), { timeout: 8000 });
    expect(jobs.querySelector('[data-file="notes.pdf"]')).toHaveAttribute('data-status', 'error');
    expect(within(jobs).getByText('Only .csv and .xlsx files are accepted.')).toBeInTheDocument();

    // What went to storage: each accepted file, with the pinned headers.
    expect(FakeXHR.sent.map((s) => [s.method, s.url, s.headers['Content-Type'], s.headers['x-goog-if-generation-match'], s.size]).sort()).toEqual([
      ['PUT', 'http://storage.test/put/bad.csv', 'text/csv', '0', 1],
      ['PUT', 'http://storage.test/put/good.csv', 'text/csv', '0', 14],
    ]);
    expect(api.calls).toContain('createUpload c1 rent_roll good.csv text/csv 14');
    // The progress bar is full once sent.
    const bar = within(jobs.querySelector('[data-file="good.csv"]') as HTMLElement).getByRole('progressbar');
    expect(bar).toHaveAttribute('value', '14');
    // The rejected file's row-level errors.
    const table = within(jobs).getByRole('table', { name: 'Errors in bad.csv' });
    const rows = [...table.querySelectorAll('tbody tr')].map((r) => [...r.querySelectorAll('td')].map((c) => c.textContent));
    expect(rows).toEqual([['4', 'unit', 'missing_unit', 'a unit row has no unit id'], ['9', 'rent', 'bad_money', 'not an amount']]);
  });

  it('reports a refused PUT', async () => {
    FakeXHR.status = 403;
    const api = new FakeApi();
    renderAt('/clients/c1/uploads', clientUser, api);
    await screen.findByText(/No file has been uploaded yet/);
    fireEvent.change(screen.getByLabelText('Files to upload'), { target: { files: [new File(['a'], 'a.csv')] } });
    expect(await screen.findByText('The storage refused the file (HTTP 403).')).toBeInTheDocument();
  });

  it('lets a client admin withdraw a loaded upload after confirming, and download any report', async () => {
    const api = new FakeApi();
    api.data.uploads = [upload('u-march.csv', 'loaded'), upload('u-bad.csv', 'rejected', { error_count: 1 }), upload('u-new.csv', 'processing')];
    renderAt('/clients/c1/uploads', clientAdmin, api);
    const table = await screen.findByRole('table', { name: 'Upload history' });
    // Only the loaded upload can be withdrawn; only settled ones have a report.
    expect(within(table).getAllByRole('button', { name: /^Withdraw/ }).map((b) => b.getAttribute('aria-label'))).toEqual(['Withdraw march.csv']);
    expect(within(table).getAllByRole('button', { name: /^Report/ }).map((b) => b.getAttribute('aria-label'))).toEqual(['Report of march.csv (CSV)', 'Report of bad.csv (CSV)']);

    // Cancelling sends nothing.
    await userEvent.click(within(table).getByRole('button', { name: 'Withdraw march.csv' }));
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(api.calls.some((c) => c.startsWith('withdrawUpload'))).toBe(false);

    await userEvent.click(within(table).getByRole('button', { name: 'Withdraw march.csv' }));
    expect(screen.getByRole('alertdialog')).toHaveTextContent('Withdraw march.csv?');
    await userEvent.click(screen.getByRole('button', { name: 'Withdraw the upload' }));
    expect(await screen.findByText(/march.csv was withdrawn/)).toBeInTheDocument();
    expect(api.calls).toContain('withdrawUpload c1 u-march.csv');
    await waitFor(() => expect(within(screen.getByRole('table', { name: 'Upload history' })).queryByRole('button', { name: /^Withdraw/ })).toBeNull());

    URL.createObjectURL ??= () => 'blob:x';
    URL.revokeObjectURL ??= () => undefined;
    await userEvent.click(within(screen.getByRole('table', { name: 'Upload history' })).getByRole('button', { name: 'Report of bad.csv (CSV)' }));
    await waitFor(() => expect(api.calls).toContain('uploadReport c1 u-bad.csv'));
  });

  it('offers no withdraw to a client user', async () => {
    const api = new FakeApi();
    api.data.uploads = [upload('u-march.csv', 'loaded')];
    renderAt('/clients/c1/uploads', clientUser, api);
    const table = await screen.findByRole('table', { name: 'Upload history' });
    expect(within(table).queryByRole('button', { name: /^Withdraw/ })).toBeNull();
    expect(within(table).getByRole('button', { name: 'Report of march.csv (CSV)' })).toBeInTheDocument();
  });
});
