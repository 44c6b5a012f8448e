// The eval's numbers per sample, their means per language and per variant, and the markdown that shows them.
import type { WordErrors } from '../core/inference/wer.js';

type Lid = { lang: string; ok: boolean; confidence: number | null; seconds: number };

export type SampleResult = {
  sample: string;
  language: string;
  variant: string;
  audioSeconds: number;
  /** Through the node's `/detect-language`. */
  lid: Lid;
  /** Through the transcription endpoint on the leading 30 s (cofi's LID when a node has no lidPath). */
  lidTranscription: Lid | null;
  stt: {
    language: string | null;
    wer: number;
    errors: WordErrors;
    processingSeconds: number;
    /** Processing seconds / audio seconds, as the client saw them (upload and decoding included). */
    rtf: number;
    segments: number;
    text: string;
  };
};

export type Group = {
  group: string;
  samples: number;
  meanWer: number;
  lidAccuracy: number;
  meanConfidence: number | null;
  lidTranscriptionAccuracy: number | null;
  meanRtf: number;
};

const mean = (xs: number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);

function group(name: string, rs: SampleResult[]): Group {
  const confidences = rs.map((r) => r.lid.confidence).filter((c): c is number => c != null);
  const viaTranscription = rs.flatMap((r) => (r.lidTranscription ? [r.lidTranscription.ok ? 1 : 0] : []));
  return {
    group: name,
    samples: rs.length,
    meanWer: mean(rs.map((r) => r.stt.wer)) ?? 0,
    lidAccuracy: mean(rs.map((r) => (r.lid.ok ? 1 : 0))) ?? 0,
    meanConfidence: mean(confidences),
    lidTranscriptionAccuracy: mean(viaTranscription),
    meanRtf: mean(rs.map((r) => r.stt.rtf)) ?? 0,
  };
}

function groupBy(rs: SampleResult[], key: (r: SampleResult) => string): Group[] {
  const keys = [...new Set(rs.map(key))];
  return keys.map((k) =>
    group(
      k,
      rs.filter((r) => key(r) === k),
    ),
  );
}

export function summarise(rs: SampleResult[]) {
  return {
    all: group('all', rs),
    byLanguage: groupBy(rs, (r) => r.language),
    byVariant: groupBy(rs, (r) => r.variant),
  };
}
export type Summary = ReturnType<typeof summarise>;

const f = (x: number | null | undefined, digits = 2) => (x == null ? '–' : x.toFixed(digits));
const pct = (x: number | null | undefined) => (x == null ? '–' : `${Math.round(x * 100)}%`);
const lidCell = (l: Lid | null) => (l == null ? '–' : l.ok ? 'yes' : `no (${l.lang})`);

type Column<T> = { head: string; cell: (row: T) => string };

/** A markdown table; the columns of LID through transcription only when that was measured. */
function table<T>(columns: Column<T>[], rows: T[], withTranscription: boolean) {
  const cols = columns.filter((c) => withTranscription || !c.head.includes('(transcription)'));
  return [
    `| ${cols.map((c) => c.head).join(' | ')} |`,
    `|${cols.map(() => ' --- ').join('|')}|`,
    ...rows.map((r) => `| ${cols.map((c) => c.cell(r)).join(' | ')} |`),
  ].join('\n');
}

const groupColumns = (title: string): Column<Group>[] => [
  { head: title, cell: (g) => g.group },
  { head: 'samples', cell: (g) => String(g.samples) },
  { head: 'mean WER', cell: (g) => f(g.meanWer, 3) },
  { head: 'LID accuracy', cell: (g) => pct(g.lidAccuracy) },
  { head: 'mean confidence', cell: (g) => f(g.meanConfidence) },
  { head: 'LID accuracy (transcription)', cell: (g) => pct(g.lidTranscriptionAccuracy) },
  { head: 'mean RTF', cell: (g) => f(g.meanRtf, 3) },
];

const sampleColumns: Column<SampleResult>[] = [
  { head: 'sample', cell: (r) => r.sample },
  { head: 'language', cell: (r) => r.language },
  { head: 'variant', cell: (r) => r.variant },
  { head: 'LID ok', cell: (r) => lidCell(r.lid) },
  { head: 'confidence', cell: (r) => f(r.lid.confidence) },
  { head: 'LID ok (transcription)', cell: (r) => lidCell(r.lidTranscription) },
  { head: 'confidence (transcription)', cell: (r) => f(r.lidTranscription?.confidence) },
  { head: 'WER', cell: (r) => f(r.stt.wer, 3) },
  { head: 'RTF', cell: (r) => f(r.stt.rtf, 3) },
];

export function renderMarkdown(
  run: {
    commit: string | null;
    dirty: boolean | null;
    model: string;
    startedAt: string;
    wallSeconds: number;
    machine: { cpus: number; cpu: string | null };
    set: { variants: readonly string[] };
    variants: Record<string, string>;
  },
  rs: SampleResult[],
  summary: Summary,
): string {
  const both = rs.some((r) => r.lidTranscription != null);
  return `${[
    '# Speech quality eval',
    `Model \`${run.model}\`, commit \`${run.commit?.slice(0, 12) ?? 'unknown'}\`${run.dirty ? ' (with uncommitted changes)' : ''}, ` +
      `${run.startedAt}, ${run.machine.cpus} × ${run.machine.cpu ?? 'unknown CPU'}, ${Math.round(run.wallSeconds)} s in all. ` +
      'Made by `npm run eval` on the set of `eval/generate.sh` (espeak-ng voices, one bank-card call per language). ' +
      'WER is word-level over normalised words (core/inference/wer.ts), with the language left to Whisper; ' +
      "LID and its confidence are the node's `/detect-language`" +
      (both
        ? ", and (transcription) cofi's LID through the transcription endpoint on the leading 30 s"
        : '') +
      "; RTF is the STT request's wall time over the audio's duration (on a shared machine it varies).",
    `Variants: ${run.set.variants.map((v) => `${v}: ${run.variants[v] ?? '?'}`).join('; ')}.`,
    '## Per sample',
    table(sampleColumns, rs, both),
    '## Per language',
    table(groupColumns('language'), summary.byLanguage, both),
    '## Per variant',
    table(groupColumns('variant'), summary.byVariant, both),
    '## All',
    table(groupColumns('set'), [summary.all], both),
  ].join('\n\n')}\n`;
}
