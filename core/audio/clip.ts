// The leading seconds of a recording as a temporary WAV, for language identification (ffmpeg).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseFile } from 'music-metadata';

export type Clip = { path: string; dispose(): Promise<void> };

export async function clipLeading(input: string, seconds: number): Promise<Clip> {
  const whole: Clip = { path: input, dispose: async () => {} };
  const duration = (await parseFile(input, { duration: true }).catch(() => null))?.format.duration ?? 0;
  if (duration <= seconds + 1) return whole;
  const dir = await mkdtemp(path.join(tmpdir(), 'cofi-lid-'));
  const output = path.join(dir, 'lead.wav');
  const ok = await new Promise<boolean>((resolve) => {
    const child = spawn(
      'ffmpeg',
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
      {
        stdio: 'ignore',
      },
    );
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
  if (!ok) {
    // Without ffmpeg the whole call is sent: slower, same answer (Whisper reads the first 30 s).
    await rm(dir, { recursive: true, force: true });
    return whole;
  }
  return { path: output, dispose: () => rm(dir, { recursive: true, force: true }) };
}
