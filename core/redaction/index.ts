// redact(): finds personal data in a transcript's segments and replaces it with typed placeholders,
// keeping where each entity was (segment, character span in the original text, and its time).
//
// Libraries: libphonenumber-js (Google's numbering-plan metadata) validates phone numbers and ibantools
// validates IBANs (country length and format, mod-97, national check digits). Everything else is cofi's
// own rules, because no maintained JavaScript library covers it: spoken numbers in en/es/hi, cards split
// across segments, Luhn/Verhoeff/DNI checks, dates of birth by context. The PII redaction libraries on the
// registry were tried and not chosen (docs/redaction.md says why); Presidio is Python with spaCy models.
import type { Candidate, Detector } from './candidates.js';
import { detectCards } from './cards.js';
import { detectBirthDates } from './dates.js';
import { detectEmails } from './emails.js';
import { detectIbans } from './ibans.js';
import { detectNationalIds } from './nationalIds.js';
import { normalise, toOriginal } from './normalise.js';
import { detectPhones } from './phones.js';
import { detectPostcodes } from './postcodes.js';
import {
  ENTITY_TYPES,
  type EntityPart,
  type EntityType,
  type FoundEntity,
  isRedactionLanguage,
  PLACEHOLDERS,
  REDACTION_LANGUAGES,
  type RedactionResult,
  type RedactOptions,
  type SegmentInput,
} from './types.js';

export { type AudioAction, type PolicyParse, parseRedactionPolicy, type RedactionPolicy } from './policy.js';
export * from './types.js';

// When two detections overlap, the more specific one wins: an e-mail or IBAN contains digit runs a
// card or phone rule would also see; a checked identifier beats a phone; a date beats a postcode.
const PRIORITY: EntityType[] = ['email', 'iban', 'card', 'national_id', 'phone', 'dob', 'postcode'];
const DETECTORS: Detector[] = [
  detectEmails,
  detectIbans,
  detectCards,
  detectNationalIds,
  detectPhones,
  detectBirthDates,
  detectPostcodes,
];

export class RedactionInputError extends Error {}

export function redact<S extends SegmentInput>(
  segments: readonly S[],
  options: RedactOptions,
): RedactionResult<S> {
  if (!isRedactionLanguage(options.language)) {
    throw new RedactionInputError(
      `redaction does not support language ${JSON.stringify(options.language)}; supported: ${REDACTION_LANGUAGES.join(', ')}`,
    );
  }
  const wanted = new Set(options.entities ?? ENTITY_TYPES);
  for (const t of wanted)
    if (!ENTITY_TYPES.includes(t)) throw new RedactionInputError(`unknown entity type ${t}`);

  const doc = normalise(segments, options.language);
  const candidates = DETECTORS.flatMap((detect) => detect(doc, options.language));
  // Overlaps are settled among all types first, so a card that is not to be redacted still keeps its
  // digits from being taken for a phone number.
  candidates.sort(
    (a, b) => PRIORITY.indexOf(a.type) - PRIORITY.indexOf(b.type) || b.end - b.start - (a.end - a.start),
  );
  const kept: Candidate[] = [];
  for (const c of candidates) if (!kept.some((k) => k.start < c.end && c.start < k.end)) kept.push(c);
  kept.sort((a, b) => a.start - b.start);

  const entities: FoundEntity[] = kept
    .filter((c) => wanted.has(c.type))
    .map((c) => {
      const parts: EntityPart[] = toOriginal(doc, c.start, c.end).map((span) => {
        const time = timeOf(segments[span.segment]!, span.start, span.end);
        return time ? { ...span, time } : span;
      });
      const first = parts[0]?.time;
      const last = parts.at(-1)?.time;
      const entity: FoundEntity = { type: c.type, placeholder: PLACEHOLDERS[c.type], parts };
      if (first && last && parts.every((p) => p.time)) entity.time = { start: first.start, end: last.end };
      return entity;
    })
    .filter((e) => e.parts.length > 0);

  const redacted = segments.map((segment, index) => {
    const parts = entities
      .flatMap((e) =>
        e.parts.filter((p) => p.segment === index).map((p) => ({ ...p, placeholder: e.placeholder })),
      )
      .sort((a, b) => b.start - a.start);
    if (parts.length === 0) return { ...segment };
    let text = segment.text;
    for (const p of parts) text = `${text.slice(0, p.start)}${p.placeholder}${text.slice(p.end)}`;
    return { ...segment, text };
  });
  return { segments: redacted, entities };
}

/** Proportional to the character offsets within the segment (STT segments carry no word times). */
function timeOf(
  segment: SegmentInput,
  start: number,
  end: number,
): { start: number; end: number } | undefined {
  if (segment.start == null || segment.end == null || !(segment.end >= segment.start)) return undefined;
  const length = Math.max(1, segment.text.length);
  const span = segment.end - segment.start;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    start: round(segment.start + (span * start) / length),
    end: round(segment.start + (span * end) / length),
  };
}
