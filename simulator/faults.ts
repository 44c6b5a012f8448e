// Seeded failure injection for the simulator: whether a request fails, and how, is a pure function of
// the seed, the endpoint, the request's subject (file name or transcript) and how often that subject was
// asked before, so a run replays the same faults however concurrent requests interleave.
import { createHash } from 'node:crypto';

export const FAULT_ENDPOINTS = ['transcriptions', 'detect-language', 'chat'] as const;
export type FaultEndpoint = (typeof FAULT_ENDPOINTS)[number];
export type Fault = 'client_error' | 'server_error' | 'timeout' | 'reset' | 'malformed';

export type Failures = {
  /** Shares 0..1 of requests that get a 503, hang past the client's timeout, lose their connection, or a bad body. */
  serverErrorRate?: number;
  timeoutRate?: number;
  resetRate?: number;
  malformedRate?: number;
  /** Only subjects matching this regex get the rates above (file names; for chat, the transcript). */
  pattern?: string;
  /** Subjects matching this regex always get 400, a permanent client error. */
  clientErrorPattern?: string;
  /** The endpoints faults apply to (default: all). */
  endpoints?: FaultEndpoint[];
  seed?: number;
};

/** A uniform number in [0, 1) from the hash of the parts. */
export function uniform(...parts: (string | number)[]): number {
  return createHash('sha256').update(parts.join('\u0000')).digest().readUInt32BE(0) / 2 ** 32;
}

export function createFaultPlan(failures: Failures) {
  const asked = new Map<string, number>();
  const pattern = failures.pattern ? new RegExp(failures.pattern) : null;
  const clientErrors = failures.clientErrorPattern ? new RegExp(failures.clientErrorPattern) : null;
  return {
    /** The fault for this request, or null; also returns a second draw for the fault's own variants. */
    decide(endpoint: FaultEndpoint, subject: string): { fault: Fault | null; variant: number } {
      const key = `${endpoint}\u0000${subject}`;
      const n = asked.get(key) ?? 0;
      asked.set(key, n + 1);
      const variant = uniform(failures.seed ?? 42, key, n, 'variant');
      if (failures.endpoints && !failures.endpoints.includes(endpoint)) return { fault: null, variant };
      if (clientErrors?.test(subject)) return { fault: 'client_error', variant };
      if (pattern && !pattern.test(subject)) return { fault: null, variant };
      const x = uniform(failures.seed ?? 42, key, n);
      const bands: [Fault, number | undefined][] = [
        ['server_error', failures.serverErrorRate],
        ['timeout', failures.timeoutRate],
        ['reset', failures.resetRate],
        ['malformed', failures.malformedRate],
      ];
      let edge = 0;
      for (const [fault, rate] of bands) {
        edge += rate ?? 0;
        if (x < edge) return { fault, variant };
      }
      return { fault: null, variant };
    },
  };
}
export type FaultPlan = ReturnType<typeof createFaultPlan>;
