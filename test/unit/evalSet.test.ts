// The speech eval's set: eval/generate.sh makes every language in every variant, with well-formed scripts,
// audio that matches them (rate, length, SNR), the same bytes on a rerun; loadSet refuses a broken set.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EvalSetError, generateSet, loadSet, type Sample, VARIANTS } from '../../eval/set.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cofi-evalset-'));
const setDir = path.join(tmp, 'set');

/** Samples of a PCM 16-bit or G.711 mu-law mono WAV as numbers in -1..1, and its sample rate. */
function readWav(file: string): { rate: number; samples: Float64Array } {
  const buf = readFileSync(file);
  assert.equal(buf.toString('latin1', 0, 4), 'RIFF', `${file} is not a RIFF file`);
  let format = 0;
  let rate = 0;
  for (let at = 12; at + 8 <= buf.length; ) {
    const id = buf.toString('latin1', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    if (id === 'fmt ') {
      format = buf.readUInt16LE(at + 8);
      rate = buf.readUInt32LE(at + 12);
    } else if (id === 'data') {
      const data = buf.subarray(at + 8, at + 8 + size);
      if (format === 1) {
        const samples = new Float64Array(data.length / 2).map((_, i) => data.readInt16LE(i * 2) / 32768);
        return { rate, samples };
      }
      assert.equal(format, 7, `${file}: WAV format ${format} is neither PCM nor mu-law`);
      const samples = new Float64Array(data.length).map((_, i) => {
        const u = ~(data[i] as number) & 0xff;
        const magnitude = ((((u & 0x0f) << 3) + 0x84) << ((u >> 4) & 7)) - 0x84;
        return ((u & 0x80) !== 0 ? -magnitude : magnitude) / 32768;
      });
      return { rate, samples };
    }
    at += 8 + size + (size % 2);
  }
  throw new Error(`${file} has no data chunk`);
}

const power = (xs: Float64Array) => xs.reduce((a, x) => a + x * x, 0) / Math.max(1, xs.length);

/** The SNR of a sample: whole-clip power against the power in the pauses between turns. */
function measuredSnr(sample: Sample): { snrDb: number; pausePower: number } {
  const { rate, samples } = readWav(sample.audioPath);
  const segs = sample.script.segments;
  const pauses = segs.slice(1).flatMap((seg, i) => {
    const from = Math.ceil(((segs[i]?.end ?? 0) + 0.05) * rate);
    const to = Math.floor((seg.start - 0.05) * rate);
    return to > from ? [...samples.subarray(from, to)] : [];
  });
  assert.ok(pauses.length > rate * 0.5, `${sample.id}: under half a second of pauses to measure noise in`);
  const noise = power(Float64Array.from(pauses));
  const total = power(samples);
  return { snrDb: 10 * Math.log10((total - noise) / noise), pausePower: noise };
}

let samples: Sample[] = [];
let languages: string[] = [];

before(() => {
  try {
    generateSet(setDir);
  } catch {
    throw new Error('eval/generate.sh failed: its one-line reason is printed above');
  }
  ({
    samples,
    manifest: { languages },
  } = loadSet(setDir));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('eval set', () => {
  test('covers en, es, hi and at least two more languages, each in every variant', () => {
    for (const lang of ['en', 'es', 'hi']) assert.ok(languages.includes(lang), `${lang} missing`);
    assert.ok(languages.length >= 5, `only ${languages.join(', ')}`);
    for (const lang of languages)
      assert.deepEqual(
        samples.filter((s) => s.language === lang).map((s) => s.variant),
        [...VARIANTS],
        lang,
      );
  });

  test('scripts have two speakers, non-empty texts and turns in increasing time', () => {
    for (const s of samples) {
      const segs = s.script.segments;
      assert.ok(segs.length >= 4, `${s.id}: ${segs.length} turns`);
      assert.deepEqual(new Set(segs.map((x) => x.speaker)), new Set(['agent', 'customer']), s.id);
      assert.notEqual(s.script.voices.agent, s.script.voices.customer, `${s.id}: one voice for both`);
      segs.forEach((seg, i) => {
        assert.ok(seg.text.trim().length > 0, `${s.id} turn ${i}: empty text`);
        assert.ok(seg.end > seg.start, `${s.id} turn ${i}: ends before it starts`);
        if (i > 0)
          assert.ok(seg.start > (segs[i - 1]?.end ?? 0), `${s.id} turn ${i}: overlaps the one before`);
      });
      assert.ok(s.reference.split(' ').length >= 40, `${s.id}: a reference of under 40 words`);
    }
  });

  test('audio has the rate its script names and the script duration', () => {
    for (const s of samples) {
      const { rate, samples: pcm } = readWav(s.audioPath);
      assert.equal(rate, s.script.variants[s.variant].sampleRate, s.id);
      assert.equal(rate, s.variant === 'clean' ? 16000 : 8000, s.id);
      assert.ok(
        Math.abs(pcm.length / rate - s.seconds) < 0.05,
        `${s.id}: ${pcm.length / rate} s vs ${s.seconds} s`,
      );
    }
  });

  test('clean is silent between turns; phone and noisy carry noise at the SNR their scripts name', () => {
    for (const s of samples) {
      const snr = s.script.variants[s.variant].snrDb;
      const measured = measuredSnr(s);
      if (s.variant === 'clean') {
        assert.equal(snr, null);
        assert.ok(measured.pausePower < 1e-8, `${s.id}: pause power ${measured.pausePower}`);
        continue;
      }
      assert.ok(snr != null, `${s.id}: no SNR named`);
      // Within 1 dB: the pauses are a small sample of the noise, and mu-law adds its own.
      assert.ok(
        Math.abs(measured.snrDb - snr) < 1,
        `${s.id}: ${measured.snrDb.toFixed(1)} dB, named ${snr} dB`,
      );
    }
  });

  test('a rerun writes the same audio and scripts (sox in repeatable mode)', () => {
    const again = path.join(tmp, 'again');
    generateSet(again, ['es']);
    const { samples: rerun, manifest } = loadSet(again);
    assert.deepEqual(manifest.languages, ['es']);
    const first = samples.filter((s) => s.language === 'es');
    assert.deepEqual(
      rerun.map((s) => s.script),
      first.map((s) => s.script),
    );
  });
});

describe('loadSet refuses a broken set', () => {
  type EditableScript = { variants: Record<string, unknown>; segments: { text: string }[] };
  /** A copy of the set with `change` applied to one script. */
  function brokenCopy(name: string, change: (dir: string) => void) {
    const dir = path.join(tmp, name);
    cpSync(setDir, dir, { recursive: true });
    change(dir);
    return dir;
  }
  const editScript = (dir: string, edit: (s: EditableScript) => void) => {
    const file = path.join(dir, 'en.script.json');
    const script = JSON.parse(readFileSync(file, 'utf8'));
    edit(script);
    writeFileSync(file, JSON.stringify(script));
  };

  test('a variant missing from a script', () => {
    const dir = brokenCopy('no-variant', (d) => editScript(d, (s) => delete s.variants.noisy));
    assert.throws(() => loadSet(dir), EvalSetError);
  });
  test('an empty text', () => {
    const dir = brokenCopy('empty-text', (d) =>
      editScript(d, (s) => ((s.segments[2] as { text: string }).text = '  ')),
    );
    assert.throws(() => loadSet(dir), /empty text/);
  });
  test('turns out of order', () => {
    const dir = brokenCopy('order', (d) => editScript(d, (s) => s.segments.reverse()));
    assert.throws(() => loadSet(dir), EvalSetError);
  });
  test('an audio file missing or not the one its script hashed', () => {
    const gone = brokenCopy('gone', (d) => rmSync(path.join(d, 'es-phone.wav')));
    assert.throws(() => loadSet(gone), /es-phone\.wav is missing/);
    const other = brokenCopy('other', (d) =>
      cpSync(path.join(d, 'es-noisy.wav'), path.join(d, 'es-phone.wav')),
    );
    assert.throws(() => loadSet(other), /sha256 differs/);
  });
});
