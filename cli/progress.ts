// Live progress of a batch: on a terminal one bar per stage redrawn in place; otherwise one plain line
// each time the numbers change (for logs and CI).
import type { BatchDetail } from '../api/schemas.js';
import { emptyCount } from '../core/progress.js';

type Out = { write(text: string): unknown };
const WIDTH = 24;

export function stageLines(b: BatchDetail): string[] {
  const names = Object.keys(b.stage_status);
  const pad = Math.max(...names.map((n) => n.length));
  return names.map((stage) => {
    const c = b.progress[stage as keyof typeof b.progress] ?? emptyCount(0);
    const total = Math.max(c.total, 1);
    // A call without speech finished the stage (with nothing to do): it fills the bar as done.
    const finished = c.done + (c.no_speech ?? 0);
    const done = Math.round((finished / total) * WIDTH);
    const bad = Math.min(WIDTH - done, Math.round(((c.failed + c.skipped + c.cancelled) / total) * WIDTH));
    const bar = '█'.repeat(done) + '▒'.repeat(bad) + '░'.repeat(WIDTH - done - bad);
    const extra = [
      c.no_speech ? `${c.no_speech} no speech` : '',
      c.failed ? `${c.failed} failed` : '',
      c.skipped ? `${c.skipped} skipped` : '',
      c.cancelled ? `${c.cancelled} cancelled` : '',
    ]
      .filter(Boolean)
      .join(', ');
    return `  ${stage.padEnd(pad)}  ${bar}  ${`${finished}/${c.total}`.padStart(9)}  ${extra}`.trimEnd();
  });
}

/** `seconds`: how long the batch has run (or ran), as the caller measures it. */
export function headline(b: BatchDetail, seconds: number): string {
  const flight = b.in_flight ? `, ${b.in_flight} in flight` : '';
  const cancelled = b.cancelled ? `, ${b.cancelled} cancelled` : '';
  const silent = b.no_speech ? ` (${b.no_speech} without speech)` : '';
  return `${b.task_id}  ${b.status}  ${Math.round(seconds)} s  ${b.completed} completed${silent}, ${b.failed} failed${cancelled} of ${b.total_files}${flight}`;
}

/** `stage done/total` for every stage on one line: what a non-terminal log shows. */
export function plainLine(b: BatchDetail): string {
  const stages = Object.keys(b.stage_status).map((s) => {
    const c = b.progress[s as keyof typeof b.progress];
    const finished = (c?.done ?? 0) + (c?.no_speech ?? 0);
    return `${s} ${finished}/${c?.total ?? 0}${c?.failed ? ` (${c.failed} failed)` : ''}`;
  });
  return `${b.task_id} ${b.status}: ${stages.join(', ')}`;
}

export function createProgressView(out: Out, tty: boolean) {
  const started = Date.now();
  let drawn = 0;
  let last = '';
  return {
    update(b: BatchDetail) {
      if (tty) {
        const lines = [headline(b, (Date.now() - started) / 1000), ...stageLines(b)];
        // Back to the first line drawn last time, clear below, draw again.
        out.write(`${drawn ? `\x1b[${drawn}F\x1b[J` : ''}${lines.join('\n')}\n`);
        drawn = lines.length;
        return;
      }
      const line = plainLine(b);
      if (line !== last) out.write(`${line}\n`);
      last = line;
    },
  };
}
