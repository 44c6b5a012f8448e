// `node --import tsx worker/bundle.ts <file>`: writes the workflow bundle to <file>. The worker runs this in a
// process of its own: webpack's memory (about 120 MiB) would otherwise stay in the worker for its whole life.
import { writeFile } from 'node:fs/promises';
import { bundleWorkflows } from './workers.js';

const out = process.argv[2];
if (!out) {
  console.error('usage: worker/bundle.ts <output file>');
  process.exit(2);
}
const bundle = await bundleWorkflows();
await writeFile(out, bundle.code);
