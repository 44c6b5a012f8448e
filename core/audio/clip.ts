// The leading seconds of a recording as a temporary 16 kHz mono WAV (ffmpeg, spawned without a shell),
// for language identification; the temporary folder is removed on every path.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stageFailure } from '../errors.js';

export type Clip = { path: string; dispose(): Promise<void> };

/** ffmpeg is not installed on this host (the Debian package `ffmpeg` provides it). */
export class FfmpegMissingError extends Error {
  override name = 'FfmpegMissingError';
  constructor() {
    super('ffmpeg is not installed (apt-get install -y ffmpeg): cannot cut the leading seconds of the call');
  }
}

/** Writes the first `seconds` of `input` to a temporary WAV; `dispose()` deletes it. */
export async function clipLeading(input: string, seconds: number, signal?: AbortSignal): Promise<Clip> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cofi-clip-'));
  const dispose = () => rm(dir, { recursive: true, force: true });
  const output = path.join(dir, 'leading.wav');
  try {
    await runFfmpeg(
      [
        '-hide_banner',
        '-nostdin',
        '-y',
        '-t',
        String(seconds),
        '-i',
        input,
        '-ac',
        '1',
        '-ar',
        '16000',
        output,
      ],
      signal,
    );
  } catch (err) {
    await dispose();
    throw err;
  }
  return { path: output, dispose };
}

function runFfmpeg(args: string[], signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', args, { signal, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.on('error', (err) => {
      reject((err as NodeJS.ErrnoException).code === 'ENOENT' ? new FfmpegMissingError() : err);
    });
    child.on('close', (code) => {
      if (code === 0) return resolve();
      const tail = stderr.trim().split('\n').slice(-3).join(' | ');
      reject(stageFailure('undecodable_audio', `ffmpeg cannot cut the audio (exit ${code}): ${tail}`));
    });
  });
}
