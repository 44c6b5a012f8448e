// The redaction engine's vocabulary: entity types, languages, placeholders and the shapes redact() speaks.

/** Entity type ids, as a per-process policy names them. */
export const ENTITY_TYPES = ['card', 'iban', 'phone', 'email', 'dob', 'postcode', 'national_id'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

/** Languages whose spoken forms (number words, month names, context cues) the engine knows. */
export const REDACTION_LANGUAGES = ['en', 'es', 'hi'] as const;
export type RedactionLanguage = (typeof REDACTION_LANGUAGES)[number];

export const PLACEHOLDERS: Record<EntityType, string> = {
  card: '[CARD]',
  iban: '[IBAN]',
  phone: '[PHONE]',
  email: '[EMAIL]',
  dob: '[DOB]',
  postcode: '[POSTCODE]',
  national_id: '[NATIONAL_ID]',
};

export const isEntityType = (value: unknown): value is EntityType =>
  typeof value === 'string' && (ENTITY_TYPES as readonly string[]).includes(value);
export const isRedactionLanguage = (value: unknown): value is RedactionLanguage =>
  typeof value === 'string' && (REDACTION_LANGUAGES as readonly string[]).includes(value);

/** What redact() needs of a segment: cofi's STT segments (TranscriptSegment) fit; times are optional. */
export type SegmentInput = { text: string; start?: number | null; end?: number | null };

/** One piece of an entity inside one segment: the character span is in the segment's ORIGINAL text. */
export type EntityPart = {
  segment: number;
  start: number;
  end: number;
  /**
   * Seconds, when the segment has start and end: interpolated in proportion to the character offsets
   * within the segment (STT segments carry no word times), so it is an estimate to within a word or two.
   */
  time?: { start: number; end: number };
};

export type FoundEntity = {
  type: EntityType;
  placeholder: string;
  /** One part per segment the entity spans (two or more when it is split across segments). */
  parts: EntityPart[];
  /** From the first part's start to the last part's end, when every part has a time. */
  time?: { start: number; end: number };
};

export type RedactOptions = {
  language: RedactionLanguage;
  /** The entity types to redact (default: all of them). */
  entities?: readonly EntityType[];
};

export type RedactionResult<S extends SegmentInput> = {
  /** The input segments with each entity part replaced by its placeholder; other fields unchanged. */
  segments: S[];
  /** In order of appearance. */
  entities: FoundEntity[];
};
