// `npm run eval`: speech quality of an STT/LID node measured with cofi's own clients on the eval set (see
// eval/generate.sh). Not a test: it writes eval/results/eval.json and eval/results/eval.md, and exits
// non-zero only when the run itself broke (node down, a sample missing, a request failed), never for
// poor quality.
//   EVAL_NODE_URL=http://...      a running node to measure (default: a CPU node of its own, see below)
//   EVAL_NODE_PORT=9202           the port of that own CPU node (ops/whisper.sh, state in $COFI_DATA_DIR/eval)
//   EVAL_NODE_MODEL=...           the model id to send (default: the first one the node's /v1/models lists)
//   EVAL_LID_TRANSCRIPTION=1      LID through the transcription endpoint too (a transcription of the leading
//                                 30 s per sample: doubles the run; on the CPU node it decided as
//                                 /detect-language did on all 21 samples of the first run)
//   EVAL_SET_DIR=...              where the set lives (default $COFI_DATA_DIR/eval/set; made when missing)
//   EVAL_LANGUAGES=en,es          measure these languages of the set only (a quick look; default all)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type GpuNode, gpuNodeSchema } from '../core/config.js';
import { identifyLanguage, type LanguageId } from '../core/inference/lid.js';
import { transcribe } from '../core/inference/stt.js';
import { wordErrors } from '../core/inference/wer.js';
import { renderMarkdown, type SampleResult, summarise } from './report.js';
import { EvalSetError, generateSet, generatorHash, loadSet, type Sample } from './set.js';

const root = path.resolve(import.meta.dirname, '..');
const dataDir = process.env.COFI_DATA_DIR ?? path.join(root, '.data');
const setDir = process.env.EVAL_SET_DIR ?? path.join(dataDir, 'eval', 'set');
const outDir = path.join(root, 'eval', 'results');
const lidViaTranscription = process.env.EVAL_LID_TRANSCRIPTION === '1';
const onlyLanguages = process.env.EVAL_LANGUAGES?.split(',').filter(Boolean) ?? [];
// Its own node on its own port and state directory, so that neither the tests' node nor their requests
// share its cores while it measures; the venv and the model are the shared cached ones.
const nodePort = process.env.EVAL_NODE_PORT ?? '9202';
const nodeEnv = { ...process.env, CPU_NODE_PORT: nodePort, COFI_DATA_DIR: path.join(dataDir, 'eval') };

const fail = (message: string): never => {
  console.error(`[eval] error: ${message}`);
  process.exit(1);
};
const log = (message: string) => console.error(`[eval] ${message}`);

function whisperOps(command: 'install' | 'start' | 'stop') {
  const script = path.join(root, 'ops', 'whisper.sh');
  if (!existsSync(script)) fail(`${script} is missing: set EVAL_NODE_URL to a running node`);
  try {
    execFileSync('bash', [script, command], {
      cwd: root,
      env: nodeEnv,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  } catch {
    fail(`ops/whisper.sh ${command} failed (its message is above)`);
  }
}

async function modelsOf(url: string): Promise<string[] | null> {
  try {
    const res = await fetch(`${url}/v1/models`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return null;
    const body = (await res.json()) as { data?: { id?: unknown }[] };
    return (body.data ?? []).map((m) => String(m.id));
  } catch {
    return null;
  }
}

/** The node to measure; `stop` ends it afterwards only when this run started it. */
async function prepareNode(): Promise<{ url: string; model: string; stop: () => void }> {
  let url = process.env.EVAL_NODE_URL?.replace(/\/$/, '');
  let stop = () => {};
  if (!url) {
    url = `http://127.0.0.1:${nodePort}`;
    if (!(await modelsOf(url))) {
      log(`no node on ${url}: installing and starting the CPU node (ops/whisper.sh)`);
      whisperOps('install');
      whisperOps('start');
      stop = () => whisperOps('stop');
    }
  }
  const models = await modelsOf(url);
  if (!models) fail(`${url}/v1/models does not answer: is the node up?`);
  const model = process.env.EVAL_NODE_MODEL ?? models?.[0];
  if (!model) fail(`${url}/v1/models lists no model`);
  return { url, model: model as string, stop };
}

function prepareSet() {
  const manifest = path.join(setDir, 'manifest.json');
  let stale = !existsSync(manifest);
  if (!stale) {
    try {
      stale =
        (JSON.parse(readFileSync(manifest, 'utf8')) as { generator?: string }).generator !== generatorHash();
    } catch {
      stale = true;
    }
  }
  if (stale) {
    log(`generating the eval set into ${setDir}`);
    try {
      generateSet(setDir);
    } catch {
      fail('eval/generate.sh failed (its message is above)');
    }
  }
  try {
    return loadSet(setDir);
  } catch (err) {
    if (err instanceof EvalSetError) return fail(err.message);
    throw err;
  }
}

const seconds = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e9;

async function lid(node: GpuNode, sample: Sample, supported: readonly string[]) {
  const started = process.hrtime.bigint();
  const id: LanguageId = await identifyLanguage({
    node,
    audioPath: sample.audioPath,
    fileName: path.basename(sample.audioPath),
    supported,
  });
  return {
    lang: id.lang,
    ok: id.lang === sample.language,
    confidence: id.confidence,
    seconds: seconds(started),
  };
}

async function measure(sample: Sample, node: GpuNode, supported: readonly string[]): Promise<SampleResult> {
  const detect = await lid({ ...node, lidPath: '/detect-language' }, sample, supported);
  const viaTranscription = lidViaTranscription
    ? await lid({ ...node, lidPath: undefined }, sample, supported)
    : null;
  const started = process.hrtime.bigint();
  // The language is left to Whisper, as cofi's STT stage does when LID did not decide it.
  const stt = await transcribe({
    node,
    audioPath: sample.audioPath,
    fileName: path.basename(sample.audioPath),
  });
  const processing = seconds(started);
  const errors = wordErrors(sample.reference, stt.text);
  return {
    sample: sample.id,
    language: sample.language,
    variant: sample.variant,
    audioSeconds: sample.seconds,
    lid: detect,
    lidTranscription: viaTranscription,
    stt: {
      language: stt.language,
      wer: errors.wer,
      errors,
      processingSeconds: processing,
      rtf: processing / sample.seconds,
      segments: stt.segments.length,
      text: stt.text,
    },
  };
}

/** "phone" -> "8000 Hz mu-law, 300-3400 Hz, 20 dB SNR", from the set's scripts. */
function describeVariants(samples: Sample[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of samples) {
    const v = s.script.variants[s.variant];
    out[s.variant] ??= [
      `${v.sampleRate} Hz ${v.encoding}`,
      ...(v.band ? [`${v.band[0]}-${v.band[1]} Hz`] : []),
      v.snrDb == null ? 'no noise' : `${v.snrDb} dB SNR`,
    ].join(', ');
  }
  return out;
}

function gitCommit() {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  try {
    // Dirty only for what shapes the numbers: the clients, the eval and the node.
    const dirty = git('status', '--porcelain', '--', 'core/inference', 'eval', 'nodes/whisper', 'ops') !== '';
    return { commit: git('rev-parse', 'HEAD'), dirty };
  } catch {
    return { commit: null, dirty: null };
  }
}

async function main() {
  const { manifest, samples: all } = prepareSet();
  const unknown = onlyLanguages.filter((l) => !manifest.languages.includes(l));
  if (unknown.length > 0) fail(`EVAL_LANGUAGES names ${unknown.join(', ')}: not in the set`);
  const samples = all.filter((s) => onlyLanguages.length === 0 || onlyLanguages.includes(s.language));
  const languages = [...new Set(samples.map((s) => s.language))];
  const { url, model, stop } = await prepareNode();
  const node = gpuNodeSchema.parse({ id: 'eval', url, capacity: 1, model });
  log(`${samples.length} samples (${languages.join(', ')} x ${manifest.variants.join(', ')}) on ${url}`);
  const started = new Date();
  const results: SampleResult[] = [];
  const broken: string[] = [];
  try {
    for (const sample of samples) {
      try {
        const r = await measure(sample, node, manifest.languages);
        results.push(r);
        log(
          `${r.sample}: LID ${r.lid.lang}${r.lid.ok ? '' : ' (wrong)'}, WER ${r.stt.wer.toFixed(3)}, RTF ${r.stt.rtf.toFixed(3)}`,
        );
      } catch (err) {
        broken.push(`${sample.id}: ${(err as Error).message}`);
        log(`${sample.id}: failed: ${(err as Error).message}`);
      }
    }
  } finally {
    stop();
  }
  const summary = summarise(results);
  const run = {
    ...gitCommit(),
    model,
    node: url,
    startedAt: started.toISOString(),
    wallSeconds: (Date.now() - started.getTime()) / 1000,
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? null },
    set: {
      generator: manifest.generator,
      languages,
      variants: manifest.variants,
    },
    variants: describeVariants(samples),
    lidViaTranscription,
    broken,
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    path.join(outDir, 'eval.json'),
    `${JSON.stringify({ run, summary, samples: results }, null, 2)}\n`,
  );
  writeFileSync(path.join(outDir, 'eval.md'), renderMarkdown(run, results, summary));
  // The results are committed, and Biome checks every committed .json and .md: it lays them out here.
  execFileSync(path.join(root, 'node_modules', '.bin', 'biome'), ['format', '--write', outDir], {
    cwd: root,
    stdio: 'ignore',
  });
  process.stdout.write(readFileSync(path.join(outDir, 'eval.md'), 'utf8'));
  if (broken.length > 0) fail(`${broken.length} of ${samples.length} samples failed: ${broken[0]}`);
}

await main();
