// The topology run's simulator: cofi's GPU-node simulator (simulator/server.ts) serving every node and LLM
// endpoint of COFI_FLEET in one process, with one difference from `npm run simulator`: each endpoint takes
// any number of requests at once instead of queueing past its capacity. The simulator's slot count would
// otherwise cap what it sees at the capacity, and a node over capacity would look full, not over; here its
// count of requests in flight is what cofi really sent. A stats port reports it per endpoint:
//   GET /stats?since=<epoch ms>  → [{ id, kind, capacity, maxConcurrent, peakSince, inFlight, served, requests }]
// maxConcurrent is the simulator's own count over its life; peakSince the most requests in flight at once
// among those that started from `since` on (from its request log, plus those in flight now).
// Settings: COFI_FLEET (as cofi's), SIM_TIME_SCALE, TOPOLOGY_SIM_STATS_PORT.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadConfig } from '../core/config.js';
import { type RequestRecord, type SimulatedEndpoint, startSimulator } from '../simulator/server.js';

/** Slots each simulated endpoint has: far more than any capacity, so nothing waits inside the simulator. */
const UNBOUNDED = 10_000;

const { fleet } = loadConfig(process.env, (p) => readFileSync(p, 'utf8'));
const statsPort = Number(process.env.TOPOLOGY_SIM_STATS_PORT ?? 0);
const timeScale = Number(process.env.SIM_TIME_SCALE ?? 1);
const capacity = new Map([...fleet.nodes, ...fleet.llm].map((n) => [n.id, n.capacity]));
const endpoint = (n: { id: string; url: string; lidPath?: string }): SimulatedEndpoint => ({
  id: n.id,
  port: Number(new URL(n.url).port),
  capacity: UNBOUNDED,
  ...(n.lidPath ? { lidPath: n.lidPath } : {}),
});

const sim = await startSimulator({
  nodes: fleet.nodes.map(endpoint),
  llm: fleet.llm.map(endpoint),
  timeScale,
  scripts: null,
});

/** Requests that held a slot (a 400 drawn before the slot, or a 429, never did). */
const heldSlot = (r: RequestRecord) => r.outcome !== 'client_error' && r.outcome !== 'rejected';

/** The most requests in flight at once: a sweep over the intervals, an end before a start at the same ms. */
function peakOverlap(intervals: { start: number; end: number }[], openNow: number): number {
  const points = intervals.flatMap((r) => [
    { t: r.start, d: 1 },
    { t: r.end, d: -1 },
  ]);
  points.sort((a, b) => a.t - b.t || a.d - b.d);
  let now = 0;
  let peak = 0;
  for (const p of points) {
    now += p.d;
    peak = Math.max(peak, now);
  }
  // Requests still in flight are not in the log yet: they overlap at least each other.
  return Math.max(peak, openNow);
}

const stats = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://sim');
  if (url.pathname !== '/stats') {
    res.writeHead(404).end();
    return;
  }
  const since = Number(url.searchParams.get('since') ?? 0);
  const body = sim.stats().endpoints.map((e) => {
    const recent = e.requests.filter((r) => r.start >= since && heldSlot(r));
    return {
      id: e.id,
      kind: e.kind,
      capacity: capacity.get(e.id) ?? null,
      maxConcurrent: e.maxConcurrent,
      peakSince: peakOverlap(recent, e.inFlight),
      inFlight: e.inFlight,
      served: e.served,
      requests: recent.length,
    };
  });
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
});
await new Promise<void>((resolve) => stats.listen(statsPort, '127.0.0.1', resolve));
console.log(
  `topology simulator: ${fleet.nodes.length} GPU node(s), ${fleet.llm.length} LLM endpoint(s), time scale ${timeScale}, stats on :${statsPort}`,
);

const shutdown = () => {
  stats.close();
  sim.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
