// `npx tsx cli/cofi.ts <command>`: upload and follow audits, reaudit, cancel, status and list batches.
import { parseArgs } from 'node:util';
import { ApiFailure, createApiClient } from '../api/client.js';
import * as commands from './commands.js';

const USAGE = `cofi: audit recorded calls from the command line

usage:
  cofi audit <files...> --process <id> [--category-mapping <id>] [--stages lid,stt,redact,llm1,llm2] [--no-wait]
             [--metadata <file.json>] [--sidecars]
                                     call metadata: a JSON file from file name to its fields, and/or each
                                     recording's <recording>.json next to it (docs/api.md, Call metadata)
  cofi reaudit <audio names...> --stages stt,llm2 [--no-wait]
  cofi reaudit --calls <id,id...> --stages stt,llm2 [--no-wait]
  cofi reaudit --batch <task> --stages stt,llm2 [--no-wait]
                                     every call of a batch (audit-42, a day, a reaudit, or an id)
  cofi retry-failed <task> [--no-wait]
                                     re-run the calls of a batch whose latest run failed, each from the
                                     stage it failed at (one reaudit per stage)
  cofi cancel <task>                 stop a running batch: audit-42, reaudit-43, daily-2025-01-31, or an id
  cofi status <task>                 e.g. audit-42, reaudit-43, daily-2025-01-31, or a batch id
  cofi batches [--kind audit|reaudit|daily] [--status <status>] [--limit <n>]

options:
  --url <url>        the API (default http://127.0.0.1:5064, or COFI_URL)
  --key <key>        an API key (default: COFI_API_KEY)
  --json             machine-readable output on stdout, no progress
  --interval <ms>    how often progress is polled (default 1000)
  -h, --help

exit codes: 0 done and every call completed; 1 some calls failed or the batch did not complete;
2 wrong usage; 3 the API refused the request or could not be reached.
`;

const options = {
  url: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean', default: false },
  interval: { type: 'string', default: '1000' },
  'no-wait': { type: 'boolean', default: false },
  process: { type: 'string' },
  'category-mapping': { type: 'string' },
  stages: { type: 'string' },
  calls: { type: 'string' },
  batch: { type: 'string' },
  metadata: { type: 'string' },
  sidecars: { type: 'boolean', default: false },
  kind: { type: 'string' },
  status: { type: 'string' },
  limit: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

class UsageError extends Error {}

async function run(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({ args: argv, options, allowPositionals: true });
  const [command, ...rest] = positionals;
  if (v.help || !command) {
    process.stdout.write(USAGE);
    return command || v.help ? commands.EXIT.ok : commands.EXIT.usage;
  }
  const interval = Number(v.interval);
  if (!Number.isInteger(interval) || interval < 100)
    throw new UsageError('--interval must be at least 100 (ms)');
  const key = v.key ?? process.env.COFI_API_KEY;
  const client = createApiClient(
    v.url ?? process.env.COFI_URL ?? 'http://127.0.0.1:5064',
    key ? { key } : {},
  );
  const o: commands.CommandOptions = {
    json: v.json,
    tty: Boolean(process.stdout.isTTY) && !v.json,
    interval,
    wait: !v['no-wait'],
    out: process.stdout,
  };
  const need = (what: string) => {
    if (rest.length === 0) throw new UsageError(`${command} needs ${what}`);
    return rest;
  };
  switch (command) {
    case 'audit':
      if (!v.process) throw new UsageError('audit needs --process <id> (list them: GET /processes)');
      return commands.audit(client, o, need('one or more files'), {
        process: v.process,
        categoryMapping: v['category-mapping'],
        stages: v.stages,
        metadata: v.metadata,
        sidecars: v.sidecars,
      });
    case 'reaudit':
      if (!v.stages) throw new UsageError('reaudit needs --stages, e.g. --stages stt,llm2');
      if ([rest.length > 0, v.calls !== undefined, v.batch !== undefined].filter(Boolean).length !== 1)
        throw new UsageError('reaudit needs audio names, or --calls <ids>, or --batch <task> (one of them)');
      return commands.reaudit(
        client,
        o,
        v.calls !== undefined
          ? { callIds: v.calls }
          : v.batch !== undefined
            ? { batch: v.batch }
            : { names: rest },
        v.stages,
      );
    case 'retry-failed':
      return commands.retryFailed(client, o, single(need('a task id')));
    case 'cancel':
      return commands.cancel(client, o, single(need('a task id')));
    case 'status':
      return commands.status(client, o, single(need('a task id')));
    case 'batches':
      return commands.batches(client, o, { kind: v.kind, status: v.status, limit: v.limit });
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

function single(values: string[]): string {
  if (values.length !== 1) throw new UsageError('give exactly one task id');
  return values[0] as string;
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (err) {
  const json = process.argv.includes('--json');
  if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`cofi: ${(err as Error).message}\n\n${USAGE}`);
    process.exitCode = commands.EXIT.usage;
  } else if (err instanceof ApiFailure) {
    if (json)
      process.stdout.write(
        `${JSON.stringify({ detail: err.detail, code: err.code ?? null, status: err.status })}\n`,
      );
    process.stderr.write(`cofi: ${err.message}\n`);
    process.exitCode = commands.EXIT.api;
  } else {
    process.stderr.write(`cofi: ${(err as Error).message}\n`);
    process.exitCode = commands.EXIT.api;
  }
}
