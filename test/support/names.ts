import { randomInt } from 'node:crypto';

/**
 * A tag that makes a test's file names its own in the shared test database. Digits only: the simulator reads a
 * language from a two-letter code in a file name (`call-de.wav`), and a random hex tag such as `1de0f3a2` made
 * every call of a file German, an unsupported language, now and then.
 */
export function nameTag(): string {
  return String(randomInt(10 ** 9)).padStart(9, '0');
}
