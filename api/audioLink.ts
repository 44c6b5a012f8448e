// Signed links to a call's recording: an <audio> element cannot send a bearer header, so the page gets a
// link that is valid for one call and a few hours, signed with a secret derived from the configured keys.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Config } from '../core/config.js';

const VALID_SECONDS = 6 * 3600;

export type AudioLinks = ReturnType<typeof createAudioLinks>;

export function createAudioLinks(config: Pick<Config, 'API_KEYS'>, now: () => number = Date.now) {
  // Every replica with the same API_KEYS derives the same secret, so a link works behind a load balancer.
  const secret = config.API_KEYS.length
    ? createHash('sha256')
        .update(
          `cofi audio links\n${config.API_KEYS.map((k) => `${k.role}:${k.hash}`)
            .sort()
            .join('\n')}`,
        )
        .digest()
    : null;
  const sign = (callId: number, exp: number) =>
    createHmac('sha256', secret ?? '')
      .update(`${callId}.${exp}`)
      .digest('base64url');
  return {
    /** The path a page may put in `<audio src>`; unsigned when the API has no keys. */
    url(callId: number): string {
      const path = `/calls/${callId}/audio`;
      if (!secret) return path;
      const exp = Math.floor(now() / 1000) + VALID_SECONDS;
      return `${path}?exp=${exp}&sig=${sign(callId, exp)}`;
    },
    verify(callId: number, exp: string | undefined, sig: string | undefined): boolean {
      if (!secret || !exp || !sig || !/^\d{1,12}$/.test(exp)) return false;
      if (Number(exp) < now() / 1000) return false;
      const expected = Buffer.from(sign(callId, Number(exp)));
      const given = Buffer.from(sig);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
