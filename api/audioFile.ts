// Serves a stored recording: content type from its format, and single byte ranges so players can seek.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { ApiError } from './errors.js';

const CONTENT_TYPES: Record<string, string> = {
  wav: 'audio/wav',
  wave: 'audio/wav',
  mp3: 'audio/mpeg',
  mpeg: 'audio/mpeg',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  opus: 'audio/ogg',
  flac: 'audio/flac',
  m4a: 'audio/mp4',
  mp4: 'audio/mp4',
  aac: 'audio/aac',
  webm: 'audio/webm',
  amr: 'audio/amr',
};

export function audioContentType(format: string | null): string {
  return CONTENT_TYPES[(format ?? '').toLowerCase()] ?? 'application/octet-stream';
}

export type ByteRange = { start: number; end: number };

/**
 * One `bytes=` range of RFC 9110: `a-b`, `a-` or `-n`. Returns null when the header should be ignored
 * (absent, malformed, several ranges: the whole file is then sent) and 'unsatisfiable' for a range
 * that starts past the end.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  const match = /^bytes=(\d*)-(\d*)$/.exec((header ?? '').trim());
  if (!match) return null;
  const [, from = '', to = ''] = match;
  if (from === '' && to === '') return null;
  if (from === '') {
    const suffix = Number(to);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(from);
  const end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return null;
  return { start, end };
}

/** The response for `fullPath` (already resolved inside the audio store) honouring `Range`. */
export async function audioResponse(
  fullPath: string,
  format: string | null,
  range: string | undefined,
  name: string,
) {
  let size: number;
  try {
    const info = await stat(fullPath);
    if (!info.isFile()) throw new Error('not a file');
    size = info.size;
  } catch {
    throw new ApiError('not_found', 'the recording of this call is no longer in the audio store');
  }
  const headers = new Headers({
    'content-type': audioContentType(format),
    'accept-ranges': 'bytes',
    'cache-control': 'private, max-age=300',
    'content-disposition': `inline; filename*=UTF-8''${encodeURIComponent(name)}`,
  });
  const wanted = parseRange(range, size);
  if (wanted === 'unsatisfiable') {
    // Built here rather than thrown: a 416 must say the size in Content-Range. Same `{detail, code}` body.
    return Response.json(
      { detail: `range "${range}" is outside the recording (${size} bytes)`, code: 'range_not_satisfiable' },
      { status: 416, headers: { 'content-range': `bytes */${size}` } },
    );
  }
  const { start, end } = wanted ?? { start: 0, end: size - 1 };
  headers.set('content-length', String(size === 0 ? 0 : end - start + 1));
  if (wanted) headers.set('content-range', `bytes ${start}-${end}/${size}`);
  const body =
    size === 0
      ? null
      : (Readable.toWeb(createReadStream(fullPath, { start, end })) as unknown as ReadableStream);
  return new Response(body, { status: wanted ? 206 : 200, headers });
}
