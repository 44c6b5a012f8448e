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

function table(head: string[], rows: string[][]) {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => ' --- ').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function groupTable(title: string, gs: Group[]) {
  return table(
    [
      title,
      'samples',
      'mean WER',
      'LID accuracy',
      'mean confidence',
      'LID accuracy (transcription)',
      'mean RTF',
    ],
    gs.map((g) => [
      g.group,
      String(g.samples),
      f(g.meanWer, 3),
      pct(g.lidAccuracy),
      f(g.meanConfidence),
      pct(g.lidTranscriptionAccuracy),
      f(g.meanRtf, 3),
    ]),
  );
}

export function renderMarkdown(
  run: {
    commit: string | null;
    dirty: boolean | null;
    model: string;
    startedAt: string;
    wallSeconds: number;
    machine: { cpus: number; cpu: string | null };
  },
  rs: SampleResult[],
  summary: Summary,
): string {
  const samples = table(
    ['sample', 'language', 'variant', 'LID ok', 'confidence', 'LID ok (transcription)', 'WER', 'RTF'],
    rs.map((r) => [
      r.sample,
      r.language,
      r.variant,
      lidCell(r.lid),
      f(r.lid.confidence),
      lidCell(r.lidTranscription),
      f(r.stt.wer, 3),
      f(r.stt.rtf, 3),
    ]),
  );
  return `${[
    '# Speech quality eval',
    `Model \`${run.model}\`, commit \`${run.commit?.slice(0, 12) ?? 'unknown'}\`${run.dirty ? ' (with uncommitted changes)' : ''}, ` +
      `${run.startedAt}, ${run.machine.cpus} × ${run.machine.cpu ?? 'unknown CPU'}, ${Math.round(run.wallSeconds)} s in all. ` +
      'Made by `npm run eval`. WER is word-level over normalised words (core/inference/wer.ts); confidence is ' +
      "the node's `/detect-language` confidence; RTF is the STT request's wall time over the audio's duration.",
    '## Per sample',
    samples,
    '## Per language',
    groupTable('language', summary.byLanguage),
    '## Per variant',
    groupTable('variant', summary.byVariant),
    '## All',
    groupTable('set', [summary.all]),
  ].join('\n\n')}\n`;
}
