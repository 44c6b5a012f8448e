// `npx tsx api/hashKey.ts <key>`: prints the sha256 of an API key, the form API_KEYS stores it in.
import { hashKey } from './auth.js';

const key = process.argv[2];
if (!key || process.argv.length > 3) {
  console.error(
    'usage: npx tsx api/hashKey.ts <key>    (then put "operator:<name>:<hash>" or "read:<name>:<hash>" in API_KEYS; the access trail records the name)',
  );
  process.exit(2);
}
if (key.length < 16) console.error('[cofi] warning: a key shorter than 16 characters is easy to guess');
console.log(hashKey(key));
