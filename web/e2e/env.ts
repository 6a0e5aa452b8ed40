// What global-setup hands the tests: the platform's address, the data
// directory, and the super admin's sign-in.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The running platform the tests talk to. */
export interface E2EEnv {
  url: string;
  data: string;
  bin: string[];
  pid: number;
  admin: { email: string; password: string };
  demoClient: string;
  /** The generated 1.44M unit-row client, with E2E_LARGE=1. */
  largeClient?: string;
  /** How long rentroll dev took to generate and load it. */
  largeLoadSeconds?: number;
}

/** The state file global-setup writes. */
export const stateFile = join(import.meta.dirname, '..', 'test-results', 'e2e-env.json');

/** env reads the state written by global-setup. */
export function env(): E2EEnv {
  return JSON.parse(readFileSync(stateFile, 'utf8')) as E2EEnv;
}
