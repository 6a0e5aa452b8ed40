// Starts `rentroll dev --demo` on a free port with a fresh data directory,
// waits for "ready", and sets the local super admin's password through the
// invitation link the platform prints, as a newcomer would.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { stateFile, type E2EEnv } from './env';

const repo = resolve(import.meta.dirname, '..', '..');

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? ok(a.port) : fail(new Error('no port'))));
    });
  });
}

export default async function setup() {
  const port = process.env.E2E_PORT ? Number(process.env.E2E_PORT) : await freePort();
  const data = mkdtempSync(join(tmpdir(), 'rentroll-e2e-'));
  // RENTROLL_BIN: a prebuilt `rentroll` (faster); otherwise go run.
  const bin = process.env.RENTROLL_BIN ? [process.env.RENTROLL_BIN] : ['go', 'run', './cmd/rentroll'];
  // E2E_LARGE=1 also generates the 1.44M unit-row client (minutes on a small machine).
  const large = process.env.E2E_LARGE === '1';
  const args = [...bin.slice(1), 'dev', '--demo', ...(large ? ['--bench-client'] : []), '--addr', `127.0.0.1:${port}`, '--data', data, '--console', 'web'];
  // Its output goes to files (a pipe closed after start-up would end it
  // with SIGPIPE); test-results/ keeps them for a failed run.
  mkdirSync(dirname(stateFile), { recursive: true });
  const outFile = join(dirname(stateFile), 'rentroll-dev.out');
  const errFile = join(dirname(stateFile), 'rentroll-dev.err');
  const child = spawn(bin[0]!, args, { cwd: repo, detached: true, stdio: ['ignore', openSync(outFile, 'w'), openSync(errFile, 'w')] });
  let out = '';
  let err = '';
  const started = Date.now();
  for (;;) {
    out = readFileSync(outFile, 'utf8');
    err = readFileSync(errFile, 'utf8');
    if (/^ready /m.test(out)) break;
    if (child.exitCode !== null) throw new Error(`rentroll dev exited ${child.exitCode}:\n${err.slice(-4000)}`);
    const limit = large ? 900_000 : 300_000;
    if (Date.now() - started > limit) throw new Error(`rentroll dev not ready in ${limit / 1000} s:\n${err.slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const url = /^ready (\S+)/m.exec(out)![1]!;
  const link = /set one at (\S+)/.exec(err)?.[1];
  if (!link) throw new Error(`rentroll dev printed no set-password link for the super admin:\n${err.slice(-4000)}`);
  const admin = { email: 'admin@localhost', password: 'e2e-' + Math.random().toString(36).slice(2, 12) };
  const ticket = new URL(link).searchParams.get('ticket') ?? '';
  const res = await fetch(new URL('/invitation', url), {
    method: 'POST', redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ticket, username: admin.email, password: admin.password, password_confirm: admin.password }),
  });
  if (res.status >= 400) throw new Error(`setting the super admin's password answered ${res.status}: ${await res.text()}`);
  const generated = /unit rows loaded in ([\d.]+) s/.exec(out)?.[1];
  const state: E2EEnv = {
    url, data, bin, pid: child.pid!, admin, demoClient: 'demo-properties',
    ...(large ? { largeClient: 'bench-large', largeLoadSeconds: generated ? Number(generated) : undefined } : {}),
  };
  writeFileSync(stateFile, JSON.stringify(state));
  child.unref();
}
