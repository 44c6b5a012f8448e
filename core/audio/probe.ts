// Validates audio by content: magic bytes first, then a header parse by music-metadata for format and
// duration. The file name and the client's Content-Type are never trusted.
import { open, stat } from 'node:fs/promises';
import { parseFile } from 'music-metadata';
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

/** The container a file's first bytes announce, or null. */
export function sniffFormat(head: Uint8Array): AudioFormat | null {
  const ascii = (from: number, to: number) => Buffer.from(head.subarray(from, to)).toString('latin1');
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') return 'wav';
  if (ascii(0, 4) === 'fLaC') return 'flac';
  if (ascii(0, 4) === 'OggS') return Buffer.from(head).includes('OpusHead') ? 'opus' : 'ogg';
  if (ascii(4, 8) === 'ftyp') return 'm4a';
  if (ascii(0, 3) === 'ID3') return 'mp3';
  // MPEG audio frame sync: 11 set bits, layer III.
  if (head[0] === 0xff && head[1] !== undefined && (head[1] & 0xe0) === 0xe0 && (head[1] & 0x06) === 0x02)
    return 'mp3';
  return null;
}

const notAudio = (why: string) =>
  stageFailure('undecodable_audio', `${why}; expected wav, mp3, flac, ogg/opus or m4a audio`);

export async function probeAudio(path: string): Promise<AudioInfo> {
  const { size } = await stat(path);
  if (size === 0) throw stageFailure('undecodable_audio', 'the file is empty');
  const handle = await open(path, 'r');
  const head = new Uint8Array(64);
  try {
    await handle.read(head, 0, head.length, 0);
  } finally {
    await handle.close();
  }
  const format = sniffFormat(head);
  if (!format) throw notAudio('content is not a known audio container');
  let metadata: Awaited<ReturnType<typeof parseFile>>;
  try {
    metadata = await parseFile(path, { duration: true, skipCovers: true });
  } catch (err) {
    throw notAudio(`the ${format} header cannot be read (${(err as Error).message})`);
  }
  const duration = metadata.format.duration;
  if (!duration || !Number.isFinite(duration) || duration <= 0)
    throw notAudio(`the ${format} file has no audio duration`);
  return {
    format,
    duration,
    sampleRate: metadata.format.sampleRate ?? null,
    channels: metadata.format.numberOfChannels ?? null,
    bytes: size,
  };
}
