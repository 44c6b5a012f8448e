// Validates a per-process redaction policy from untrusted input; the answer carries a `detail` for a 4xx.
import {
  ENTITY_TYPES,
  type EntityType,
  isEntityType,
  isRedactionLanguage,
  REDACTION_LANGUAGES,
  type RedactionLanguage,
} from './types.js';

export const AUDIO_ACTIONS = ['silence', 'beep', 'none'] as const;
export type AudioAction = (typeof AUDIO_ACTIONS)[number];

export type RedactionPolicy = {
  /** The entity types redacted; default all. An empty list means "redact nothing". */
  entities: EntityType[];
  /** The call languages the process expects; default all the engine supports. */
  languages: RedactionLanguage[];
  /** Whether the unredacted transcript (and audio) is kept beside the redacted one; default false. */
  keepOriginal: boolean;
  /** What the stored recording gets over a redacted span; default 'silence'. */
  audio: AudioAction;
};

export type PolicyParse = { ok: true; value: RedactionPolicy } | { ok: false; detail: string };

const KNOWN_FIELDS = ['entities', 'languages', 'keepOriginal', 'audio'];

/** Accepts undefined/null (all defaults) or an object with the fields of RedactionPolicy. */
export function parseRedactionPolicy(input: unknown): PolicyParse {
  const fail = (detail: string): PolicyParse => ({ ok: false, detail });
  if (input == null) input = {};
  if (typeof input !== 'object' || Array.isArray(input)) return fail('redaction policy must be an object');
  const raw = input as Record<string, unknown>;
  const unknownFields = Object.keys(raw).filter((k) => !KNOWN_FIELDS.includes(k));
  if (unknownFields.length > 0) {
    return fail(
      `redaction policy has unknown field(s) ${unknownFields.join(', ')}; known: ${KNOWN_FIELDS.join(', ')}`,
    );
  }

  const entities = listOf(raw.entities, 'entities', ENTITY_TYPES, isEntityType);
  if (!entities.ok) return entities;
  const languages = listOf(raw.languages, 'languages', REDACTION_LANGUAGES, isRedactionLanguage);
  if (!languages.ok) return languages;
  if (languages.value.length === 0) return fail('redaction policy languages must name at least one language');

  const keepOriginal = raw.keepOriginal ?? false;
  if (typeof keepOriginal !== 'boolean') return fail('redaction policy keepOriginal must be true or false');
  const audio = raw.audio ?? 'silence';
  if (typeof audio !== 'string' || !(AUDIO_ACTIONS as readonly string[]).includes(audio)) {
    return fail(
      `redaction policy audio must be one of ${AUDIO_ACTIONS.join(', ')}; got ${JSON.stringify(audio)}`,
    );
  }
  return {
    ok: true,
    value: {
      entities: entities.value,
      languages: languages.value,
      keepOriginal,
      audio: audio as AudioAction,
    },
  };
}

function listOf<T extends string>(
  value: unknown,
  field: string,
  all: readonly T[],
  is: (v: unknown) => v is T,
): { ok: true; value: T[] } | { ok: false; detail: string } {
  if (value === undefined) return { ok: true, value: [...all] };
  if (!Array.isArray(value)) return { ok: false, detail: `redaction policy ${field} must be a list` };
  const unknown = value.filter((v) => !is(v));
  if (unknown.length > 0) {
    return {
      ok: false,
      detail: `redaction policy ${field}: unknown ${unknown.map((v) => JSON.stringify(v)).join(', ')}; supported: ${all.join(', ')}`,
    };
  }
  // Deduplicated, in the canonical order.
  return { ok: true, value: all.filter((t) => value.includes(t)) };
}
