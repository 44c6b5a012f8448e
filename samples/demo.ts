// `npm run demo:call [-- samples/<file>]`: one call through LID -> STT -> LLM1 -> LLM2 against the GPU-node
// simulator started in this process, with the reference questionnaire and categories of drizzle/reference/.
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeAudio } from '../core/audio/probe.js';
import type { GpuNode, LlmEndpoint } from '../core/config.js';
import { analyseCall } from '../core/inference/analysis.js';
import { languageName } from '../core/inference/languages.js';
import { identifyLanguage } from '../core/inference/lid.js';
import { answerQuestionnaire } from '../core/inference/questionnaire.js';
import { transcribe } from '../core/inference/stt.js';
import { referenceData } from '../drizzle/referenceData.js';
import { startSimulator } from '../simulator/server.js';

// Without an argument, the English billing sample.
const file =
  process.argv.slice(2).find((a) => a !== '--') ??
  fileURLToPath(new URL('billing-dispute-en.mp3', import.meta.url));
const reference = referenceData();
const process1 = reference.processes[0];
const mapping = reference.mappings[0];
if (!process1 || !mapping) throw new Error('drizzle/reference/*.json has no process or category mapping');
const categories = mapping.categories.flatMap((top) => [
  { code: top.code, name: top.name, parent: null },
  ...(top.children ?? []).map((c) => ({ code: c.code, name: c.name, parent: top.code })),
]);

const sim = await startSimulator({
  nodes: [{ id: 'demo-gpu', port: 0, capacity: 1 }],
  llm: [{ id: 'demo-llm', port: 0, capacity: 1 }],
  timeScale: Number(process.env.SIM_TIME_SCALE ?? 1),
});
try {
  // LID goes through the transcription endpoint here (no lidPath), as it does on most self-hosted servers.
  const node: GpuNode = {
    id: 'demo-gpu',
    url: sim.nodes[0]!.url,
    capacity: 1,
    stages: ['lid', 'stt'],
    model: 'whisper-1',
  };
  const endpoint: LlmEndpoint = {
    id: 'demo-llm',
    url: sim.llm[0]!.url,
    capacity: 1,
    model: 'cofi-simulated-llm',
  };
  const fileName = basename(file);
  const info = await probeAudio(file);
  console.log(
    `\n${fileName}: ${info.format}, ${info.duration.toFixed(1)} s, ${info.sampleRate ?? '?'} Hz, ${info.bytes} bytes`,
  );

  const lid = await identifyLanguage({ node, audioPath: file, fileName, supported: ['en', 'hi', 'es'] });
  console.log(
    `\nLID   ${languageName(lid.lang)} (${lid.lang}), confidence ${lid.confidence ?? '-'}, via ${lid.source}${lid.supported ? '' : ' - NOT SUPPORTED'}`,
  );

  const stt = await transcribe({ node, audioPath: file, fileName, language: lid.lang });
  console.log(`\nSTT   ${stt.segments.length} segments, ${stt.duration ?? '?'} s, model ${stt.model}`);
  for (const s of stt.segments)
    console.log(`  [${s.start.toFixed(1).padStart(5)}s] ${(s.speaker ?? '').padEnd(8)} ${s.text}`);

  const transcript = { text: stt.text, segments: stt.segments, lang: stt.language ?? lid.lang };
  const analysis = await analyseCall({ endpoint, transcript, categories });
  console.log(
    `\nLLM1  ${analysis.category} / ${analysis.subCategory ?? '-'}, sentiment ${analysis.sentiment} (${analysis.promptVersion})`,
  );
  console.log(`  ${analysis.summary}`);
  for (const fact of analysis.keyFacts) console.log(`  - ${fact}`);

  const questions = process1.questions.map((q) => ({ ...q, guidance: q.guidance ?? null }));
  const result = await answerQuestionnaire({ endpoint, transcript, analysis, questions });
  console.log(`\nLLM2  ${process1.name}: call score ${result.callScore} / 100 (${result.promptVersion})`);
  for (const a of result.answers) {
    const q = questions.find((x) => x.id === a.questionId)!;
    const points = a.maxScore === 0 ? 'n/a' : `${a.score.toFixed(1)}/${a.maxScore}`;
    console.log(
      `  ${q.code.padEnd(22)} ${a.answer.padEnd(4)} ${points.padStart(9)}  ${a.evidence ? `"${a.evidence}"` : ''}`,
    );
  }
  console.log(
    '\n(The GPU node and the LLM are the simulator: answers come from keyword rules, not a model.)',
  );
} finally {
  await sim.close();
}
