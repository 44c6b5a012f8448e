// Validates audio by content: magic bytes first, then a header parse by music-metadata for format and
// duration. The file name and the client's Content-Type are never trusted; the file is never read whole.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { parseStream } from 'music-metadata';
import { stageFailure } from '../errors.js';

export const AUDIO_FORMATS = ['wav', 'mp3', 'flac', 'ogg', 'opus', 'm4a'] as const;
export type AudioFormat = (typeof AUDIO_FORMATS)[number];

export type AudioInfo = {
  format: AudioFormat;
  /** Seconds. */
  duration: number;
  sampleRate: number | null;
  channels: number | null;
  bytes: number;
};

/** Enough for every signature below, including an Ogg page header followed by `OpusHead`. */
const HEAD_BYTES = 64;

/** The container a file's first bytes announce, or null. */
export function sniffFormat(head: Uint8Array): AudioFormat | null {
  const ascii = (from: number, to: number) => Buffer.from(head.subarray(from, to)).toString('latin1');
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') return 'wav';
  if (ascii(0, 4) === 'fLaC') return 'flac';
  if (ascii(0, 4) === 'OggS') return Buffer.from(head).includes('OpusHead') ? 'opus' : 'ogg';
  // ISO base media (MP4/M4A): the first box is `ftyp`; its size comes first.
  if (ascii(4, 8) === 'ftyp') return 'm4a';
  if (ascii(0, 3) === 'ID3') return 'mp3';
  // MPEG audio frame sync: 11 set bits, then a version other than "reserved" and layer III.
  const b1 = head[1];
  if (
    head[0] === 0xff &&
    b1 !== undefined &&
    (b1 & 0xe0) === 0xe0 &&
    (b1 & 0x18) !== 0x08 &&
    (b1 & 0x06) === 0x02
  )
    return 'mp3';
  return null;
}

/** The music-metadata container names each sniffed format may parse as. */
const CONTAINERS: Record<AudioFormat, RegExp> = {
  wav: /^WAVE/i,
  mp3: /^MPEG/i,
  flac: /^FLAC/i,
  ogg: /^Ogg/i,
  opus: /^Ogg/i,
  m4a: /^(M4A|mp4|M4B|isom|iso\d|3gp|qt)/i,
};

/**
 * The parser is chosen by the sniffed type, never by the file name: music-metadata's parseFile trusts the
 * extension first (an MPEG stream named .wav fails there), so the file is streamed in with a MIME type.
 */
const MIME: Record<AudioFormat, string> = {
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  flac: 'audio/flac',
  ogg: 'audio/ogg',
  opus: 'audio/ogg',
  m4a: 'audio/mp4',
};

const EXPECTED = 'wav, mp3, flac, ogg/opus or m4a';
const undecodable = (message: string) => stageFailure('undecodable_audio', message);

export async function probeAudio(path: string): Promise<AudioInfo> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw stageFailure('missing_data', `audio file not found: ${path}`);
    throw err;
  }
  let bytes: number;
  const head = new Uint8Array(HEAD_BYTES);
  try {
    bytes = (await handle.stat()).size;
    if (bytes > 0) await handle.read(head, 0, head.length, 0);
  } finally {
    await handle.close();
  }
  if (bytes === 0) throw undecodable('not an audio file: the file is empty (0 bytes)');
  const format = sniffFormat(head);
  if (!format) throw undecodable(`not an audio file: content is not ${EXPECTED}`);

  let metadata: Awaited<ReturnType<typeof parseStream>>;
  const stream = createReadStream(path);
  try {
    metadata = await parseStream(
      stream,
      { mimeType: MIME[format], size: bytes },
      { duration: true, skipCovers: true },
    );
  } catch (err) {
    throw undecodable(`the ${format} data cannot be decoded: ${(err as Error).message}`);
  } finally {
    stream.destroy();
  }
  const { container, duration, sampleRate, numberOfChannels, hasAudio } = metadata.format;
  if (!container || !CONTAINERS[format].test(container))
    throw undecodable(
      `not an audio file: it starts like ${format} but parses as ${container ?? 'nothing known'}; expected ${EXPECTED}`,
    );
  if (hasAudio === false) throw undecodable(`the ${format} file has no audio track`);
  if (duration === undefined || !Number.isFinite(duration) || duration <= 0)
    throw undecodable(`the ${format} file is truncated or corrupt: no audio duration can be read from it`);
  return {
    format,
    duration,
    sampleRate: sampleRate ?? null,
    channels: numberOfChannels ?? null,
    bytes,
  };
}
