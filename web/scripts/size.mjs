// Checks the initial JavaScript of the built console against its budget:
// the scripts index.html loads before any lazy route or chart, gzipped.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const budget = 250 * 1024;
const dist = join(import.meta.dirname, '..', 'dist');
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const scripts = [...html.matchAll(/<(?:script|link)[^>]+(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
let total = 0;
for (const s of scripts) {
  const size = gzipSync(readFileSync(join(dist, s)), { level: 9 }).length;
  total += size;
  console.log(`${s}\t${(size / 1024).toFixed(1)} KB gzipped`);
}
console.log(`initial JavaScript: ${(total / 1024).toFixed(1)} KB gzipped (budget ${budget / 1024} KB)`);
if (scripts.length === 0 || total > budget) {
  console.error(scripts.length === 0 ? 'no script found in dist/index.html' : 'over budget');
  process.exit(1);
}
