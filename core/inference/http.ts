// One HTTP call to an inference server, with a timeout, and its failure classified where it is understood:
// connection and timeout and 429/5xx are retryable, other 4xx are not (core/errors.ts).
import { type FailureContext, safePayload, stageFailure } from '../errors.js';

export type InferenceRequest = {
  url: string;
  body: FormData | string;
  headers?: Record<string, string>;
  apiKey?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** A safe description of what was sent, for the failure log. */
  payload: unknown;
};

const cut = (text: string, max = 4000) => (text.length > max ? `${text.slice(0, max)}…` : text);

export async function postInference(
  req: InferenceRequest,
): Promise<{ text: string; context: FailureContext }> {
  // The payload is built without audio bytes or keys; safePayload also cuts long strings and redacts keys.
  const context: FailureContext = { requestUrl: req.url, inputPayload: safePayload(req.payload) };
  const timeout = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetch(req.url, {
      method: 'POST',
      body: req.body,
      headers: { ...req.headers, ...(req.apiKey ? { authorization: `Bearer ${req.apiKey}` } : {}) },
      signal,
    });
  } catch (err) {
    if (timeout.aborted)
      throw stageFailure('timeout', `no answer from ${req.url} within ${req.timeoutMs} ms`, context);
    if (req.signal?.aborted) throw err; // cancelled by the caller (activity cancellation): not a node failure
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw stageFailure(
      'connection',
      `cannot reach ${req.url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
      context,
    );
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    if (timeout.aborted)
      throw stageFailure('timeout', `answer from ${req.url} took longer than ${req.timeoutMs} ms`, context);
    throw stageFailure(
      'connection',
      `connection to ${req.url} broke while reading the answer: ${(err as Error).message}`,
      context,
    );
  }
  if (res.ok) return { text, context };
  const failed = { ...context, rawResponse: cut(text), publicMessage: `${req.url} answered ${res.status}` };
  const what = `${req.url} answered ${res.status}: ${cut(text, 300)}`;
  if (res.status === 429) throw stageFailure('rate_limited', what, failed);
  if (res.status >= 500) throw stageFailure('server_error', what, failed);
  throw stageFailure('client_error', what, failed);
}

export { cut as cutText };
