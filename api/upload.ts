// Streams a multipart upload to a staging folder with limits enforced while reading; memory stays flat
// whatever the file sizes. On any error the staging folder is removed before the error is raised.
import { createWriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import busboy from 'busboy';
import type { AudioInfo } from '../core/audio/probe.js';
import type { AudioStore } from '../core/audioStore.js';
import { ApiError, badRequest } from './errors.js';

export type StagedFile = { position: number; name: string; path: string; info: AudioInfo };
export type StagedUpload = { dir: string; fields: Map<string, string[]>; files: StagedFile[] };
export type UploadLimits = { maxFiles: number; maxFileBytes: number; fileField: string };

/** A client's file name made safe to show: last path component, no control characters, bounded. */
export function displayName(raw: string): string {
  const base = raw.split(/[\\/]/).pop() ?? '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const clean = base.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim();
  if (clean === '' || clean === '.' || clean === '..') return '';
  return Buffer.byteLength(clean) > 255
    ? Buffer.from(clean)
        .subarray(0, 255)
        .toString('utf8')
        .replace(/\uFFFD+$/, '')
    : clean;
}

export async function receiveUpload(
  request: Request,
  store: AudioStore,
  limits: UploadLimits,
  probe: (path: string) => Promise<AudioInfo>,
): Promise<StagedUpload> {
  const type = request.headers.get('content-type') ?? '';
  if (!type.toLowerCase().startsWith('multipart/form-data')) {
    throw new ApiError(
      'unsupported_media_type',
      'expected a multipart/form-data body with one or more "files" parts',
    );
  }
  if (!request.body) throw badRequest('the request has no body');
  const staging = await store.createStaging();
  try {
    const upload = await stream(request, type, staging.dir, limits);
    await validateAudio(upload, probe);
    return upload;
  } catch (err) {
    await store.remove(staging.dir);
    throw err;
  }
}

async function stream(
  request: Request,
  contentType: string,
  dir: string,
  limits: UploadLimits,
): Promise<StagedUpload> {
  const fields = new Map<string, string[]>();
  const pending: Promise<{ position: number; name: string; path: string; bytes: number }>[] = [];
  const seen = new Set<string>();
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': contentType },
      limits: {
        files: limits.maxFiles,
        fileSize: limits.maxFileBytes,
        fields: 50,
        fieldSize: 64 * 1024,
        parts: limits.maxFiles + 50,
      },
      defParamCharset: 'utf8',
    });
  } catch (err) {
    throw badRequest(`malformed multipart request: ${(err as Error).message}`);
  }

  const done = new Promise<void>((resolve, reject) => {
    const fail = (err: Error) => {
      parser.removeAllListeners('file');
      reject(err);
    };
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) return fail(badRequest(`field "${name}" is too long`));
      fields.set(name, [...(fields.get(name) ?? []), value]);
    });
    parser.on('file', (field, file, info) => {
      if (field !== limits.fileField) {
        file.resume();
        return fail(badRequest(`unexpected file field "${field}": send recordings as "${limits.fileField}"`));
      }
      const name = displayName(info.filename ?? '');
      if (!name) {
        file.resume();
        return fail(badRequest('a file has no usable name'));
      }
      if (seen.has(name)) {
        file.resume();
        return fail(badRequest(`duplicate file name in one upload: "${name}"`));
      }
      seen.add(name);
      const position = pending.length + 1;
      const target = path.join(dir, `${String(position).padStart(5, '0')}.part`);
      let bytes = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          bytes += chunk.length;
          cb(null, chunk);
        },
      });
      pending.push(
        pipeline(file, counter, createWriteStream(target)).then(() => {
          if ((file as unknown as { truncated?: boolean }).truncated) {
            throw new ApiError(
              'payload_too_large',
              `file "${name}" is larger than the limit of ${limits.maxFileBytes} bytes`,
            );
          }
          return { position, name, path: target, bytes };
        }),
      );
      // Rejections are collected below; keep them from being reported as unhandled meanwhile.
      pending.at(-1)?.catch(() => {});
    });
    parser.on('filesLimit', () =>
      fail(new ApiError('payload_too_large', `too many files: at most ${limits.maxFiles} per upload`)),
    );
    parser.on('partsLimit', () =>
      fail(new ApiError('payload_too_large', 'too many parts in the multipart body')),
    );
    parser.on('fieldsLimit', () => fail(badRequest('too many form fields')));
    parser.on('error', (err: Error) => fail(badRequest(`malformed multipart request: ${err.message}`)));
    parser.on('close', () => resolve());
  });

  const body = Readable.fromWeb(request.body as unknown as WebReadableStream);
  body.on('error', (err) => parser.destroy(err));
  body.pipe(parser);
  try {
    await done;
  } finally {
    body.unpipe(parser);
  }
  const written = await Promise.all(pending);
  const files: StagedFile[] = [];
  for (const f of written) {
    if (f.bytes === 0) throw badRequest(`file "${f.name}" is empty`);
    files.push({ position: f.position, name: f.name, path: f.path, info: undefined as unknown as AudioInfo });
  }
  return { dir, fields, files };
}

async function validateAudio(
  upload: StagedUpload,
  probe: (path: string) => Promise<AudioInfo>,
): Promise<void> {
  for (const file of upload.files) {
    try {
      file.info = await probe(file.path);
    } catch (err) {
      throw new ApiError(
        'unsupported_media_type',
        `file "${file.name}" is not usable audio: ${(err as Error).message}`,
      );
    }
    const final = file.path.replace(/\.part$/, `.${file.info.format}`);
    await rename(file.path, final);
    file.path = final;
  }
}
