// A simulated node's capacity: at most `capacity` requests run at once; the rest wait in a FIFO queue or,
// with rejectWhenBusy, are refused (429). Every run is recorded as a busy interval for utilisation charts.

export type BusyInterval = { start: number; end: number; kind: string };
/**
 * One request as the node saw it, for counting repeated work: the stage, the subject (a GPU request's file
 * name; a chat request's transcript hash), how it ended, and whether the client was still there for the answer.
 */
export type RequestRecord = {
  stage: 'lid' | 'stt' | 'llm1' | 'llm2';
  subject: string;
  /** ok: work done and answered; malformed: work done, body broken on purpose; else the injected fault. */
  outcome: 'ok' | 'malformed' | 'client_error' | 'server_error' | 'timeout' | 'reset' | 'rejected';
  /** False when the client had gone before the answer (a killed worker): the work was done for nobody. */
  delivered: boolean;
  start: number;
  end: number;
  /** Seconds of audio in the request (GPU nodes). */
  audioSeconds: number;
};
export type EndpointStats = {
  id: string;
  kind: 'gpu' | 'llm';
  capacity: number;
  /** Requests answered 200 (including deliberately malformed bodies). */
  served: number;
  /** Requests refused with 429 because every slot was busy. */
  rejected: number;
  /** Requests that got an injected fault (400, 503, hang, reset). */
  faulted: number;
  maxConcurrent: number;
  /** Requests holding a slot now. */
  inFlight: number;
  /** Seconds of audio in the served requests (GPU nodes). */
  audioSeconds: number;
  /** One interval per request that held a slot: epoch milliseconds. */
  busy: BusyInterval[];
  requests: RequestRecord[];
};

export function createSlots(id: string, kind: 'gpu' | 'llm', capacity: number, rejectWhenBusy: boolean) {
  const waiting: (() => void)[] = [];
  const stats: EndpointStats = {
    id,
    kind,
    capacity,
    served: 0,
    rejected: 0,
    faulted: 0,
    maxConcurrent: 0,
    inFlight: 0,
    audioSeconds: 0,
    busy: [],
    requests: [],
  };
  return {
    stats,
    /** Waits for a slot; false when the node is full and refuses instead of queueing. */
    async acquire(): Promise<boolean> {
      if (stats.inFlight < capacity) {
        stats.inFlight++;
        stats.maxConcurrent = Math.max(stats.maxConcurrent, stats.inFlight);
        return true;
      }
      if (rejectWhenBusy) {
        stats.rejected++;
        return false;
      }
      // The releasing request hands its slot over directly, so no newcomer can slip in between.
      await new Promise<void>((resolve) => waiting.push(resolve));
      return true;
    },
    release(start: number, kind: string) {
      stats.busy.push({ start, end: Date.now(), kind });
      const next = waiting.shift();
      if (next) next();
      else stats.inFlight--;
    },
  };
}
export type Slots = ReturnType<typeof createSlots>;
