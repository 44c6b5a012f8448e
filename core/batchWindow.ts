// The accounting of a batch's sliding window of calls, as pure functions over plain data: which calls are in
// flight (and where, for how many seconds of audio), where the listing stands, how the calls that ended ended.
// The batch workflow holds one of these and hands it to the next run when it continues as new; progress per
// stage is not kept here (the ledger has it).

/** Where the listing of a batch's calls stands: calls are taken longest first, then by id. */
export type Cursor = { seconds: number; callId: number };

export type CallEnd = 'completed' | 'failed' | 'cancelled';

export type InFlightCall = { node: string; seconds: number };

export type WindowState = {
  cursor: Cursor | null;
  /** Every call of the batch has been listed. */
  exhausted: boolean;
  /** Calls started and not yet ended, by call id (a string: this object crosses JSON). */
  inFlight: Record<string, InFlightCall>;
  ended: Record<CallEnd, number>;
  /** Calls whose workflow ended without recording an outcome (terminated by hand): the batch records them. */
  lost: number[];
};

export function emptyWindow(): WindowState {
  return {
    cursor: null,
    exhausted: false,
    inFlight: {},
    ended: { completed: 0, failed: 0, cancelled: 0 },
    lost: [],
  };
}

export type AdmittedCall = { callId: number; node: string; seconds: number };
export type Page = {
  /** Calls to start. */
  admitted: AdmittedCall[];
  /** Calls listed that ended without starting (distribution failed, or nothing left to run). */
  ended: { callId: number; end: CallEnd }[];
  cursor: Cursor | null;
  exhausted: boolean;
};

/** Takes a page of calls into the window. */
export function admit(state: WindowState, page: Page): void {
  for (const c of page.admitted) state.inFlight[String(c.callId)] = { node: c.node, seconds: c.seconds };
  for (const e of page.ended) state.ended[e.end]++;
  state.cursor = page.cursor ?? state.cursor;
  state.exhausted = page.exhausted;
}

/** A call ended. False when it was not in flight (a second report of the same end, or another batch's call). */
export function settle(state: WindowState, callId: number, end: CallEnd): boolean {
  const key = String(callId);
  if (!(key in state.inFlight)) return false;
  delete state.inFlight[key];
  state.lost = state.lost.filter((id) => id !== callId);
  state.ended[end]++;
  return true;
}

/** A call's workflow ended without an outcome: it stays in flight until the batch has recorded it. */
export function markLost(state: WindowState, callId: number): void {
  if (String(callId) in state.inFlight && !state.lost.includes(callId)) state.lost.push(callId);
}

export function inFlightIds(state: WindowState): number[] {
  return Object.keys(state.inFlight).map(Number);
}

export function inFlightCount(state: WindowState): number {
  return Object.keys(state.inFlight).length;
}

/** Seconds of audio in flight per node: what distribution balances against. */
export function nodeLoad(state: WindowState): Record<string, number> {
  const load: Record<string, number> = {};
  for (const c of Object.values(state.inFlight)) load[c.node] = (load[c.node] ?? 0) + c.seconds;
  return load;
}

/**
 * How many calls to list now: none while fewer than a tenth of the window is free (the GPU queues still hold
 * work, and each listing is an activity), else every free slot.
 */
export function pageSize(state: WindowState, window: number): number {
  if (state.exhausted) return 0;
  const free = window - inFlightCount(state);
  return free >= Math.max(1, Math.ceil(window / 10)) || inFlightCount(state) === 0 ? free : 0;
}

/** Every call has been listed and every call started has ended. */
export function drained(state: WindowState): boolean {
  return state.exhausted && inFlightCount(state) === 0;
}
