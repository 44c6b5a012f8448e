// The eval set on disk (made by eval/generate.sh): its manifest and per-language scripts, parsed and checked
// so that a broken or half-made set stops the eval instead of being scored.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const VARIANTS = ['clean', 'phone', 'noisy'] as const;
export type Variant = (typeof VARIANTS)[number];

const root = path.resolve(import.meta.dirname, '..');
export const GENERATOR = path.join(root, 'eval', 'generate.sh');

const variantSchema = z.object({
  file: z.string().regex(/^[a-z]{2}-[a-z]+\.wav$/),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  sampleRate: z.number().int().positive(),
  encoding: z.string().min(1),
  band: z.tuple([z.number(), z.number()]).nullable(),
  snrDb: z.number().nullable(),
});

export const scriptSchema = z
  .object({
    language: z.string().regex(/^[a-z]{2}$/),
    voices: z.object({ agent: z.string().min(1), customer: z.string().min(1) }),
    duration: z.number().positive(),
    segments: z
      .array(
        z.object({
          speaker: z.enum(['agent', 'customer']),
          start: z.number().min(0),
          end: z.number(),
          text: z.string().trim().min(1, 'empty text'),
        }),
      )
      .min(1),
    variants: z.object({ clean: variantSchema, phone: variantSchema, noisy: variantSchema }).strict(),
  })
  .superRefine((s, ctx) => {
    let previousEnd = -Infinity;
    s.segments.forEach((seg, i) => {
      if (!(seg.end > seg.start))
        ctx.addIssue({ code: 'custom', path: ['segments', i], message: 'end is not after start' });
      if (!(seg.start >= previousEnd))
        ctx.addIssue({
          code: 'custom',
          path: ['segments', i],
          message: 'starts before the previous turn ends',
        });
      previousEnd = seg.end;
    });
    if (Math.abs(previousEnd - s.duration) > 0.01)
      ctx.addIssue({ code: 'custom', path: ['duration'], message: 'differs from the last turn end' });
    if (new Set(s.segments.map((seg) => seg.speaker)).size < 2)
      ctx.addIssue({ code: 'custom', path: ['segments'], message: 'one speaker only' });
    for (const v of VARIANTS)
      if (s.variants[v].file !== `${s.language}-${v}.wav`)
        ctx.addIssue({
          code: 'custom',
          path: ['variants', v, 'file'],
          message: 'is not <language>-<variant>.wav',
        });
  });
export type Script = z.infer<typeof scriptSchema>;

export const manifestSchema = z.object({
  generator: z.string().regex(/^[0-9a-f]{64}$/),
  variants: z.array(z.enum(VARIANTS)),
  languages: z.array(z.string().regex(/^[a-z]{2}$/)).min(1),
});
export type Manifest = z.infer<typeof manifestSchema>;

export type Sample = {
  id: string;
  language: string;
  variant: Variant;
  audioPath: string;
  /** Seconds of audio (the script's duration: the last turn's end). */
  seconds: number;
  reference: string;
  script: Script;
};

export class EvalSetError extends Error {}

function readJson(file: string): unknown {
  if (!existsSync(file)) throw new EvalSetError(`${file} is missing`);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new EvalSetError(`${file} is not JSON: ${(err as Error).message}`);
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown, file: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new EvalSetError(`${file}: ${issue?.path.join('.') || '(root)'} ${issue?.message}`);
}

export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** The generator's hash: a set made by another version of eval/generate.sh is out of date. */
export const generatorHash = () => sha256File(GENERATOR);

/**
 * Every sample of the set in `dir`, checked: all variants of every language, non-empty texts, turns in
 * order, and each audio file present with the hash its script names.
 */
export function loadSet(dir: string): { manifest: Manifest; samples: Sample[] } {
  const manifestFile = path.join(dir, 'manifest.json');
  const manifest = parse(manifestSchema, readJson(manifestFile), manifestFile);
  const missing = VARIANTS.filter((v) => !manifest.variants.includes(v));
  if (missing.length > 0) throw new EvalSetError(`${manifestFile}: variants ${missing.join(', ')} missing`);
  const samples: Sample[] = [];
  for (const language of manifest.languages) {
    const file = path.join(dir, `${language}.script.json`);
    const script = parse(scriptSchema, readJson(file), file);
    if (script.language !== language) throw new EvalSetError(`${file}: language is ${script.language}`);
    for (const variant of VARIANTS) {
      const audioPath = path.join(dir, script.variants[variant].file);
      if (!existsSync(audioPath)) throw new EvalSetError(`${audioPath} is missing`);
      if (sha256File(audioPath) !== script.variants[variant].sha256)
        throw new EvalSetError(`${audioPath} is not the audio its script describes (sha256 differs)`);
      samples.push({
        id: `${language}-${variant}`,
        language,
        variant,
        audioPath,
        seconds: script.duration,
        reference: script.segments.map((s) => s.text).join(' '),
        script,
      });
    }
  }
  return { manifest, samples };
}

/** Runs eval/generate.sh into `dir` (all languages unless some are named); its errors end in one line. */
export function generateSet(dir: string, languages: readonly string[] = []): void {
  execFileSync('bash', [GENERATOR, dir, ...languages], { stdio: ['ignore', 'inherit', 'inherit'] });
}
