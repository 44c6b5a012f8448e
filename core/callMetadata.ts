// Call metadata (agent, team, customer reference, when the call started, its direction): optional fields a client
// gives per recording, at upload (the `metadata` form field) or in the daily batch (a sidecar JSON next to the
// recording). One validation for both, so the same value is refused with the same words wherever it comes from.
import { CALL_DIRECTIONS, type CallDirection } from './stages.js';

/** The fields as clients write them (snake_case, as the rest of the API). */
export const CALL_METADATA_FIELDS = [
  'agent_id',
  'team',
  'customer_reference',
  'call_started_at',
  'direction',
] as const;
export type CallMetadataField = (typeof CALL_METADATA_FIELDS)[number];

/** Validated metadata, as the `call` row's columns hold it (a field not given is absent). */
export type CallMetadata = {
  agentId?: string;
  team?: string;
  customerReference?: string;
  callStartedAt?: Date;
  direction?: CallDirection;
};

/** A refused field; `field` is null when the whole value is wrong (not a JSON object). */
export class CallMetadataError extends Error {
  override name = 'CallMetadataError';
  constructor(
    readonly field: string | null,
    readonly reason: string,
    message = field ? `${field}: ${reason}` : reason,
  ) {
    super(message);
  }
}

/** How far ahead of now a call start may be (clocks differ; a call a day ahead is a mistake). */
export const CALL_START_LEEWAY_MS = 24 * 60 * 60 * 1000;
/** The earliest call start accepted. */
export const EARLIEST_CALL_START = new Date('1970-01-01T00:00:00Z');

// Control, surrogate, private-use and unassigned code points, and line or paragraph separators: not printable.
const UNPRINTABLE = /[\p{Cc}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/u;
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|z|[+-]\d{2}(?::?\d{2})?)$/;

/**
 * A short, printable excerpt of a refused file name for an error message. Never of a refused value: a reason is
 * also stored (a daily sidecar's refusal is an event), and the value may be the customer's (a reference).
 */
const excerpt = (value: string, max = 40) =>
  JSON.stringify([...value.replace(new RegExp(UNPRINTABLE, 'gu'), '?')].slice(0, max).join(''));

function text(field: CallMetadataField, value: unknown, max: number): string {
  if (typeof value !== 'string') throw new CallMetadataError(field, `must be a string, got ${typeOf(value)}`);
  const trimmed = value.trim();
  if (trimmed === '') throw new CallMetadataError(field, 'must not be empty');
  if (UNPRINTABLE.test(trimmed) || trimmed.includes('\uFFFD'))
    throw new CallMetadataError(field, 'must be printable text (no control characters)');
  const length = [...trimmed].length;
  if (length > max) throw new CallMetadataError(field, `must be at most ${max} characters, got ${length}`);
  return trimmed;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** An ISO 8601 date and time with its offset (`2026-11-30T09:12:00Z`, `…+01:00`), a real calendar date. */
export function parseCallStart(value: unknown, now: Date = new Date()): Date {
  const field = 'call_started_at';
  if (typeof value !== 'string') throw new CallMetadataError(field, `must be a string, got ${typeOf(value)}`);
  const s = value.trim();
  const m = ISO_8601.exec(s);
  if (!m)
    throw new CallMetadataError(
      field,
      `must be an ISO 8601 date and time with a time zone, e.g. 2026-11-30T09:12:00Z or 2026-11-30T10:12:00+01:00`,
    );
  const [year, month, day, hour, minute, second = '0'] = m.slice(1, 7).map(Number) as number[];
  const calendar = new Date(Date.UTC(year!, month! - 1, day!));
  if (
    month! < 1 ||
    month! > 12 ||
    calendar.getUTCDate() !== day ||
    hour! > 23 ||
    minute! > 59 ||
    Number(second) > 59
  )
    throw new CallMetadataError(field, 'is not a real date and time');
  // Offsets as +01, +0100 or +01:00: Date reads only the last.
  const at = new Date(s.replace(/([+-]\d{2})(\d{2})$/, '$1:$2').replace(/([+-]\d{2})$/, '$1:00'));
  if (Number.isNaN(at.getTime())) throw new CallMetadataError(field, 'is not a real date and time');
  if (at < EARLIEST_CALL_START)
    throw new CallMetadataError(field, `must not be before ${EARLIEST_CALL_START.toISOString()}`);
  if (at.getTime() > now.getTime() + CALL_START_LEEWAY_MS)
    throw new CallMetadataError(field, 'is more than a day in the future');
  return at;
}

/**
 * One recording's metadata from its JSON value: an object with any of CALL_METADATA_FIELDS (a null field counts
 * as not given). Texts are trimmed; `direction` is matched ignoring case. Throws CallMetadataError naming the field.
 */
export function parseCallMetadata(raw: unknown, now: Date = new Date()): CallMetadata {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new CallMetadataError(
      null,
      `must be a JSON object with any of ${CALL_METADATA_FIELDS.join(', ')}, got ${typeOf(raw)}`,
    );
  const entries = Object.entries(raw as Record<string, unknown>);
  const unknown = entries.find(([k]) => !(CALL_METADATA_FIELDS as readonly string[]).includes(k));
  if (unknown)
    throw new CallMetadataError(
      unknown[0].slice(0, 40),
      `is not a metadata field (known: ${CALL_METADATA_FIELDS.join(', ')})`,
    );
  const out: CallMetadata = {};
  for (const [key, value] of entries) {
    if (value === null || value === undefined) continue;
    switch (key as CallMetadataField) {
      case 'agent_id':
        out.agentId = text('agent_id', value, 64);
        break;
      case 'team':
        out.team = text('team', value, 64);
        break;
      case 'customer_reference':
        out.customerReference = text('customer_reference', value, 128);
        break;
      case 'call_started_at':
        out.callStartedAt = parseCallStart(value, now);
        break;
      case 'direction': {
        const d = typeof value === 'string' ? value.trim().toLowerCase() : value;
        if (!(CALL_DIRECTIONS as readonly unknown[]).includes(d))
          throw new CallMetadataError(
            'direction',
            `must be one of ${CALL_DIRECTIONS.join(', ')}${typeof value === 'string' ? '' : `, got ${typeOf(value)}`}`,
          );
        out.direction = d as CallDirection;
        break;
      }
    }
  }
  return out;
}

/**
 * The upload's `metadata` form field: a JSON object from file name to that file's metadata. Every name must be
 * one of the uploaded files (exactly as sent, after trimming); files without an entry have no metadata.
 * Throws CallMetadataError whose message names the file and the field.
 */
export function parseUploadMetadata(
  json: string,
  fileNames: readonly string[],
  now: Date = new Date(),
): Map<string, CallMetadata> {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new CallMetadataError(null, `is not valid JSON: ${(err as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new CallMetadataError(
      null,
      `must be a JSON object from file name to that file's fields, e.g. {"call-1.wav": {"agent_id": "a-17"}}; got ${typeOf(raw)}`,
    );
  const names = new Set(fileNames);
  const out = new Map<string, CallMetadata>();
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const name = key.trim();
    if (!names.has(name))
      throw new CallMetadataError(
        null,
        `names ${excerpt(key, 80)}, which is not one of the uploaded files (keys are file names exactly as uploaded)`,
      );
    if (out.has(name)) throw new CallMetadataError(null, `names ${excerpt(name, 80)} twice`);
    try {
      out.set(name, parseCallMetadata(value, now));
    } catch (err) {
      if (!(err instanceof CallMetadataError)) throw err;
      throw new CallMetadataError(
        err.field,
        err.reason,
        `file ${excerpt(name, 80)}${err.field ? `, field ${err.field}` : ''}: ${err.reason}`,
      );
    }
  }
  return out;
}

/** The `call` row's columns for metadata (null where not given). */
export function metadataColumns(m: CallMetadata | undefined) {
  return {
    agentId: m?.agentId ?? null,
    team: m?.team ?? null,
    customerReference: m?.customerReference ?? null,
    callStartedAt: m?.callStartedAt ?? null,
    direction: m?.direction ?? null,
  };
}

/** The API's view of a call's metadata (the same names clients write). */
export function metadataView(row: {
  agentId: string | null;
  team: string | null;
  customerReference: string | null;
  callStartedAt: Date | null;
  direction: CallDirection | null;
}) {
  return {
    agent_id: row.agentId,
    team: row.team,
    customer_reference: row.customerReference,
    call_started_at: row.callStartedAt ? row.callStartedAt.toISOString() : null,
    direction: row.direction,
  };
}
