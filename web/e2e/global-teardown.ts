// Stops the platform global-setup started (its whole process group, so the
// Firestore emulator's Java goes too) and removes its data directory.
import { rmSync } from 'node:fs';
import { env } from './env';

export default async function teardown() {
  const e = env();
  try {
    process.kill(-e.pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
  for (let i = 0; i < 60; i++) {
    try {
      process.kill(-e.pid, 0);
    } catch {
      break;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  try { process.kill(-e.pid, 'SIGKILL'); } catch { /* stopped */ }
  rmSync(e.data, { recursive: true, force: true });
}
