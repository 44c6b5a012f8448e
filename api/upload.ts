// Streams a multipart upload to a staging folder with limits (sizes, counts, names, stalls) enforced while
// reading; memory stays flat whatever the file sizes. On any error the staging folder is removed first.
import { createWriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import busboy from 'busboy';
import type { AudioInfo } from '../core/audio/probe.js';
import type { AudioStore } from '../core/audioStore.js';
import { nameKey } from '../core/names.js';
import { ApiError, badRequest } from './errors.js';

export type StagedFile = { position: number; name: string; path: string; info: AudioInfo };
export type StagedUpload = { dir: string; fields: Map<string, string[]>; files: StagedFile[] };
export type UploadLimits = {
  maxFiles: number;
  maxFileBytes: number;
  fileField: string;
  /** An upload may take as long as its size needs, but may not stall (no bytes) for longer than this. */
  idleMs: number;
};

/**
 * A client's file name, checked and trimmed. It is shown and searched by (reaudit), never used as a path, so
 * it must be a plain name: no path, no control characters, valid UTF-8, at most 255 bytes.
 */
export function checkFileName(raw: string): string {
  const name = raw.trim();
  if (name === '') throw badRequest('a file has no name');
  // busboy decodes bytes that are not UTF-8 as U+FFFD.
  if (raw.includes('\uFFFD')) throw badRequest(`file name "${shown(name)}" is not valid UTF-8`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  if (/[\u0000-\u001f\u007f-\u009f]/.test(raw))
    throw badRequest(`file name "${shown(name)}" has control characters`);
  if (/[\\/]/.test(name)) throw badRequest(`file name "${shown(name)}" is a path: send the file name only`);
  if (name === '.' || name === '..') throw badRequest(`"${name}" is not a file name`);
  if (Buffer.byteLength(name) > 255) throw badRequest(`file name "${shown(name)}…" is longer than 255 bytes`);
  return name;
}

/** A short, printable excerpt of a refused name for `detail`. */
const shown = (name: string) =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
  [...name.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')].slice(0, 60).join('');

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
  /** Names so far, by the key the database compares them with (case and accents ignored). */
  const seen = new Map<string, string>();
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': contentType },
      limits: {
        files: limits.maxFiles,
        fileSize: limits.maxFileBytes,
        fields: 50,
        // Room for the `metadata` field: a few hundred bytes per file at most.
        fieldSize: 64 * 1024 + limits.maxFiles * 1024,
        parts: limits.maxFiles + 50,
      },
      defParamCharset: 'utf8',
      // The name as the client sent it, so a path is refused rather than quietly cut to its last part.
      preservePath: true,
    });
  } catch (err) {
    throw badRequest(`malformed multipart request: ${(err as Error).message}`);
  }

  let fail: (err: Error) => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    fail = (err: Error) => {
      parser.removeAllListeners('file');
      reject(err);
    };
    parser.on('field', (name, value, info) => {
      // busboy gives no name at all for `name=""` or a part without one.
      if (!name)
        return fail(badRequest('a form field has no name (Content-Disposition: form-data; name="...")'));
      if (name === limits.fileField)
        return fail(badRequest(`"${name}" must be file parts, each with a file name (filename="...")`));
      if (info.valueTruncated) return fail(badRequest(`field "${name}" is too long`));
      fields.set(name, [...(fields.get(name) ?? []), value]);
    });
    parser.on('file', (field, file, info) => {
      // A refused part is read and dropped; destroying the parser later may still end it with an error.
      const skip = () => {
        file.on('error', () => {});
        file.resume();
      };
      if (field !== limits.fileField) {
        skip();
        return fail(
          badRequest(
            field
              ? `unexpected file field "${field}": send recordings as "${limits.fileField}"`
              : `a file part has no field name: send recordings as "${limits.fileField}"`,
          ),
        );
      }
      let name: string;
      try {
        name = checkFileName(info.filename ?? '');
      } catch (err) {
        skip();
        return fail(err as Error);
      }
      const earlier = seen.get(nameKey(name));
      if (earlier !== undefined) {
        skip();
        return fail(
          badRequest(
            earlier === name
              ? `duplicate file name in one upload: "${name}"`
              : `duplicate file names in one upload: "${earlier}" and "${name}" (names are compared ignoring case and accents)`,
          ),
        );
      }
      seen.set(nameKey(name), name);
      const position = pending.length + 1;
      const target = path.join(dir, `${String(position).padStart(5, '0')}.part`);
      const tooLarge = () =>
        new ApiError(
          'payload_too_large',
          `file "${name}" is larger than the limit of ${limits.maxFileBytes} bytes`,
        );
      // Refused as soon as the limit is reached, not after the rest of the file has been read.
      file.once('limit', () => fail(tooLarge()));
      let bytes = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          bytes += chunk.length;
          cb(null, chunk);
        },
      });
      pending.push(
        pipeline(file, counter, createWriteStream(target)).then(() => {
          if ((file as unknown as { truncated?: boolean }).truncated) throw tooLarge();
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
  const idle = setTimeout(
    () => fail(new ApiError('request_timeout', `the upload stalled: no data for ${limits.idleMs} ms`)),
    limits.idleMs,
  );
  body.on('data', () => idle.refresh());
  body.on('error', (err) => parser.destroy(err));
  body.pipe(parser);
  try {
    await done;
  } catch (err) {
    // Stopping the parser ends its open file stream with an error, so every write settles (and closes its
    // file) before the caller removes the staging folder.
    parser.destroy();
    await Promise.allSettled(pending);
    throw err;
  } finally {
    clearTimeout(idle);
    body.unpipe(parser);
  }
  const written = await Promise.allSettled(pending);
  const files: StagedFile[] = [];
  for (const result of written) {
    if (result.status === 'rejected') throw result.reason;
    const f = result.value;
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
