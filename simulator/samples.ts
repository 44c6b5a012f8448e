// The scripts of the sample calls (samples/<name>.script.json, written by samples/generate.sh): the
// simulator's transcript of a sample is its script, found by the audio's sha256 or else by its file name.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Script, ScriptSegment } from './content.js';

export type SampleScript = {
  file: string;
  sha256: string;
  language: string;
  duration: number;
  segments: Required<ScriptSegment>[];
};
export type SampleScripts = { bySha256: Map<string, Script>; byName: Map<string, Script> };

export const SAMPLES_DIR = fileURLToPath(new URL('../samples/', import.meta.url));

/**
 * Lookup by hash survives renames (uploads are stored under generated names); lookup by the file name the
 * client sent survives re-encoding (the daily batch's denoise writes new bytes under the same name).
 */
export function loadSampleScripts(dir: string = SAMPLES_DIR): SampleScripts {
  const scripts: SampleScripts = { bySha256: new Map(), byName: new Map() };
  if (!existsSync(dir)) return scripts;
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.script.json'))) {
    const sample = JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as SampleScript;
    const script: Script = { language: sample.language, segments: sample.segments };
    scripts.bySha256.set(sample.sha256, script);
    scripts.byName.set(path.basename(sample.file), script);
  }
  return scripts;
}

export function findScript(scripts: SampleScripts | null, sha256: string, fileName: string): Script | null {
  if (!scripts) return null;
  return scripts.bySha256.get(sha256) ?? scripts.byName.get(path.basename(fileName)) ?? null;
}
