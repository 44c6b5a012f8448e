// The daily batch's audio clean-up with the real ffmpeg: denoise writes audio, the IVR cut finds the
// silence after the menu prompt.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cutIvr, denoise, ivrCutPoint, parseSilences } from '../../core/audio/cleanup.js';

const hasFfmpeg = (() => {
  try {
    execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasFfmpeg)
  console.warn(
    '\n!!! ffmpeg is not installed: the audio clean-up tests are SKIPPED (apt-get install -y ffmpeg)\n',
  );

/** PCM WAV: `parts` of tone (Hz) or silence (0), each with its seconds. */
function wav(parts: [number, number][]): Buffer {
  const rate = 8000;
  const total = parts.reduce((n, [, s]) => n + Math.round(s * rate), 0);
  const buf = Buffer.alloc(44 + total * 2);
  buf.write('RIFF', 0);
  buf.writeUInt32LE(36 + total * 2, 4);
  buf.write('WAVEfmt ', 8);
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36);
  buf.writeUInt32LE(total * 2, 40);
  let i = 0;
  for (const [freq, seconds] of parts) {
    for (let k = 0; k < Math.round(seconds * rate); k++, i++) {
      buf.writeInt16LE(freq ? Math.round(9000 * Math.sin((2 * Math.PI * freq * k) / rate)) : 0, 44 + i * 2);
    }
  }
  return buf;
}

describe('IVR cut point (pure)', () => {
  test('reads silencedetect output', () => {
    const log =
      '[silencedetect @ 0x1] silence_start: 3.2\n[silencedetect @ 0x1] silence_end: 4.7 | silence_duration: 1.5\n';
    assert.deepEqual(parseSilences(log), [[3.2, 4.7]]);
  });
  test('the first long silence after sound, within the prompt limit', () => {
    assert.equal(
      ivrCutPoint([
        [0, 0.3],
        [5, 5.4],
        [6, 7.5],
        [20, 22],
      ]),
      7.5,
    );
    assert.equal(ivrCutPoint([[70, 72]]), 0, 'too late to be an IVR prompt');
    assert.equal(ivrCutPoint([]), 0);
  });
});

describe('ffmpeg clean-up', { skip: !hasFfmpeg && 'ffmpeg missing' }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cofi-cleanup-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('cuts a 4 s menu prompt followed by 2 s of ringing silence', async () => {
    const input = path.join(dir, 'ivr.wav');
    await writeFile(
      input,
      wav([
        [600, 4],
        [0, 2],
        [300, 5],
      ]),
    );
    const { offset } = await cutIvr(input, path.join(dir, 'ivr.out.wav'));
    assert.ok(Math.abs(offset - 6) < 0.3, `offset ${offset}`);
    const out = await stat(path.join(dir, 'ivr.out.wav'));
    assert.ok(out.size < (await stat(input)).size * 0.6, 'the prompt is gone from the output');
  });

  test('a call with no prompt is left whole', async () => {
    const input = path.join(dir, 'plain.wav');
    await writeFile(input, wav([[400, 5]]));
    assert.equal((await cutIvr(input, path.join(dir, 'plain.out.wav'))).offset, 0);
  });

  test('denoise writes 16 kHz mono audio', async () => {
    const input = path.join(dir, 'noisy.wav');
    await writeFile(input, wav([[440, 2]]));
    const output = path.join(dir, 'noisy.out.wav');
    await denoise(input, output);
    const header = execFileSync('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=sample_rate,channels',
      '-of',
      'csv=p=0',
      output,
    ])
      .toString()
      .trim();
    assert.equal(header, '16000,1');
  });
});
