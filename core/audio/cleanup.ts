// Audio clean-up of the daily batch with ffmpeg: denoise (band-pass + FFT denoiser) and the IVR cut
// (drop the recorded menu before the agent answers, found as the first long silence near the start).
import { spawn } from 'node:child_process';
import { stageFailure } from '../errors.js';

export type IvrOptions = { minSilenceSec: number; maxPromptSec: number; noiseDb: number };
export const DEFAULT_IVR: IvrOptions = { minSilenceSec: 0.8, maxPromptSec: 60, noiseDb: -35 };

/** Runs ffmpeg; resolves with its log (stderr), fails as undecodable audio on a non-zero exit. */
export function ffmpeg(args: string[], signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-y', ...args], {
      signal,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-200_000);
    });
    child.on('error', (err) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new Error('ffmpeg is not installed: apt-get install -y ffmpeg'));
      } else reject(err);
    });
    child.on('close', (code) => {
      if (code === 0) resolve(stderr);
      else
        reject(
          stageFailure(
            'undecodable_audio',
            `ffmpeg failed (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
          ),
        );
    });
  });
}

/** Writes a denoised 16 kHz mono WAV: telephone band-pass plus ffmpeg's FFT denoiser. */
export async function denoise(input: string, output: string, signal?: AbortSignal): Promise<void> {
  await ffmpeg(
    [
      '-i',
      input,
      '-af',
      'highpass=f=100,lowpass=f=3800,afftdn=nf=-25',
      '-ac',
      '1',
      '-ar',
      '16000',
      '-c:a',
      'pcm_s16le',
      output,
    ],
    signal,
  );
}

/** Silences ffmpeg's silencedetect reports in its log, as [start, end] seconds. */
export function parseSilences(log: string): [number, number][] {
  const out: [number, number][] = [];
  let start: number | null = null;
  for (const line of log.split('\n')) {
    const s = /silence_start: (-?[\d.]+)/.exec(line);
    if (s) start = Math.max(0, Number(s[1]));
    const e = /silence_end: ([\d.]+)/.exec(line);
    if (e && start !== null) {
      out.push([start, Number(e[1])]);
      start = null;
    }
  }
  return out;
}

/** Where the agent's part starts: the end of the first long silence after some sound, within the limit. */
export function ivrCutPoint(silences: [number, number][], options: IvrOptions = DEFAULT_IVR): number {
  const gap = silences.find(
    ([start, end]) => start > 0.5 && end - start >= options.minSilenceSec && end <= options.maxPromptSec,
  );
  return gap ? gap[1] : 0;
}

/** Cuts the IVR prompt; returns the seconds removed (0 when no prompt was found: the audio is copied). */
export async function cutIvr(
  input: string,
  output: string,
  options: IvrOptions = DEFAULT_IVR,
  signal?: AbortSignal,
) {
  const log = await ffmpeg(
    [
      '-i',
      input,
      '-af',
      `silencedetect=noise=${options.noiseDb}dB:d=${options.minSilenceSec}`,
      '-f',
      'null',
      '-',
    ],
    signal,
  );
  const offset = ivrCutPoint(parseSilences(log), options);
  await ffmpeg(['-ss', offset.toFixed(3), '-i', input, '-ac', '1', '-c:a', 'pcm_s16le', output], signal);
  return { offset };
}
