// Receives a multipart upload as the real servers do: the audio part (`file` or `audio_file`) is streamed
// to a temporary file while it is hashed, the other fields are collected, and the audio is probed.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { probeAudio } from '../core/audio/probe.js';
import { BadRequest } from './reply.js';

export type Upload = {
  fileName: string;
  sha256: string;
  /** The first 32 bits of the hash: the seed of everything synthetic about this audio. */
  seed: number;
  /** Seconds, read from the audio's header. */
  duration: number;
  fields: Record<string, string>;
  dispose(): Promise<void>;
};

export async function receiveAudio(req: IncomingMessage, maxBytes: number): Promise<Upload> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cofi-sim-'));
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    const target = path.join(dir, 'upload');
    const fields: Record<string, string> = {};
    const hash = createHash('sha256');
    let fileName: string | null = null;
    await new Promise<void>((resolve, reject) => {
      let parser: busboy.Busboy;
      try {
        parser = busboy({ headers: req.headers, limits: { fileSize: maxBytes, files: 1, fields: 20 } });
      } catch (err) {
        return reject(new BadRequest(`not a multipart upload: ${(err as Error).message}`));
      }
      let saving: Promise<void> | null = null;
      parser.on('field', (name, value) => {
        fields[name] = value;
      });
      parser.on('file', (field, stream, info) => {
        if (field !== 'file' && field !== 'audio_file') return void stream.resume();
        fileName = info.filename || 'audio';
        stream.on('limit', () => reject(new BadRequest(`the file is larger than ${maxBytes} bytes`)));
        const hashing = new Transform({
          transform(chunk: Buffer, _enc, done) {
            hash.update(chunk);
            done(null, chunk);
          },
        });
        saving = pipeline(stream, hashing, createWriteStream(target));
      });
      parser.on('close', () => {
        if (!saving) return reject(new BadRequest('the upload has no `file` (or `audio_file`) part'));
        saving.then(resolve, reject);
      });
      parser.on('error', (err) => reject(new BadRequest(`broken multipart body: ${(err as Error).message}`)));
      req.pipe(parser);
    });
    const sha256 = hash.digest('hex');
    let duration: number;
    try {
      ({ duration } = await probeAudio(target));
    } catch (err) {
      throw new BadRequest(`the file is not decodable audio: ${(err as Error).message}`);
    }
    return {
      fileName: fileName ?? 'audio',
      sha256,
      seed: Number.parseInt(sha256.slice(0, 8), 16),
      duration: Math.round(duration * 1000) / 1000,
      fields,
      dispose,
    };
  } catch (err) {
    await dispose();
    throw err;
  }
}
