// probeAudio: every accepted container by content (fixtures and samples), and clear refusals of the rest.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { AUDIO_FORMATS, probeAudio, sniffFormat } from '../../core/audio/probe.js';
import { expectFailure, fixture, sample } from './support.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'cofi-probe-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const message = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApplicationFailure);
  return err.message;
};

describe('probeAudio accepts each format by its content', () => {
  for (const format of AUDIO_FORMATS) {
    test(format, async () => {
      const info = await probeAudio(fixture(`tone.${format}`));
      assert.equal(info.format, format);
      assert.ok(Math.abs(info.duration - 1) < 0.1, `duration ${info.duration} is about 1 s`);
      assert.equal(info.sampleRate, 16000);
      assert.ok(info.bytes > 0);
    });
  }

  test('the name does not matter: an mp3 saved as .wav is an mp3', async () => {
    const renamed = path.join(tmp, 'really-an-mp3.wav');
    copyFileSync(fixture('tone.mp3'), renamed);
    assert.equal((await probeAudio(renamed)).format, 'mp3');
  });

  test('the sample calls: 10-26 s each, in four containers', async () => {
    const formats = [];
    for (const name of [
      'billing-dispute-en.mp3',
      'late-delivery-en.wav',
      'internet-outage-es.opus',
      'plan-upgrade-hi.m4a',
    ]) {
      const info = await probeAudio(sample(name));
      assert.ok(info.duration >= 10 && info.duration <= 26, `${name}: ${info.duration} s`);
      formats.push(info.format);
    }
    assert.deepEqual(formats, ['mp3', 'wav', 'opus', 'm4a']);
  });
});

describe('probeAudio refuses what is not audio, as undecodable_audio', () => {
  test('a text file named .wav', async () => {
    await expectFailure(probeAudio(fixture('not-audio.wav')), 'undecodable_audio');
    assert.match(
      await message(probeAudio(fixture('not-audio.wav'))),
      /not an audio file: content is not wav, mp3/,
    );
  });
  test('a WAV whose header is cut off', async () => {
    await expectFailure(probeAudio(fixture('truncated.wav')), 'undecodable_audio');
    assert.match(
      await message(probeAudio(fixture('truncated.wav'))),
      /truncated or corrupt|cannot be decoded/,
    );
  });
  test('RIFF/WAVE magic followed by garbage', async () => {
    await expectFailure(probeAudio(fixture('corrupt.wav')), 'undecodable_audio');
  });
  test('an empty file', async () => {
    const empty = path.join(tmp, 'empty.mp3');
    writeFileSync(empty, '');
    await expectFailure(probeAudio(empty), 'undecodable_audio');
    assert.match(await message(probeAudio(empty)), /empty \(0 bytes\)/);
  });
  test('a missing file is missing_data, not a decoding problem', async () => {
    await expectFailure(probeAudio(path.join(tmp, 'nope.wav')), 'missing_data');
  });
});

describe('sniffFormat', () => {
  const bytes = (...parts: (string | number[])[]) =>
    new Uint8Array(
      Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p)))),
    );
  test('magic bytes of each container', () => {
    assert.equal(sniffFormat(bytes('RIFF', [0, 0, 0, 0], 'WAVEfmt ')), 'wav');
    assert.equal(sniffFormat(bytes('ID3', [4, 0])), 'mp3');
    assert.equal(sniffFormat(bytes([0xff, 0xfb, 0x90, 0x00])), 'mp3');
    assert.equal(sniffFormat(bytes('fLaC')), 'flac');
    assert.equal(sniffFormat(bytes('OggS', new Array(24).fill(0), '\u0001vorbis')), 'ogg');
    assert.equal(sniffFormat(bytes('OggS', new Array(24).fill(0), 'OpusHead')), 'opus');
    assert.equal(sniffFormat(bytes([0, 0, 0, 32], 'ftypM4A ')), 'm4a');
  });
  test('near misses are not audio', () => {
    assert.equal(sniffFormat(bytes('RIFF', [0, 0, 0, 0], 'AVI ')), null);
    assert.equal(sniffFormat(bytes([0xff, 0xd8, 0xff, 0xe0])), null); // JPEG
    assert.equal(sniffFormat(bytes([0xff, 0xf1])), null); // AAC ADTS, not MPEG layer III
    assert.equal(sniffFormat(bytes('%PDF-1.7')), null);
    assert.equal(sniffFormat(new Uint8Array(0)), null);
  });
});
