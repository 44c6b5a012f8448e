// What one worker process polls. A deployment runs the orchestrator (workflows and database bookkeeping)
// as many times as it likes, and each GPU node's agent (the only poller of that node's queue) once, on or next
// to the GPU host: capacity per node then holds however many orchestrators run.
import type { Fleet } from '../core/config.js';

export type WorkerRoles = {
  orchestrator: boolean;
  audio: boolean;
  /** GPU node ids whose agent this process is. */
  nodes: string[];
  /** LLM endpoint ids whose agent this process is. */
  llm: string[];
};

export class RolesError extends Error {
  override name = 'RolesError';
}

/** Parses WORKER_ROLES against the fleet; throws RolesError naming what is wrong. */
export function parseRoles(value: string, fleet: Fleet): WorkerRoles {
  const roles: WorkerRoles = { orchestrator: false, audio: false, nodes: [], llm: [] };
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new RolesError('WORKER_ROLES is empty: name at least one role, or `all`');
  const add = (list: string[], id: string) => {
    if (!list.includes(id)) list.push(id);
  };
  for (const item of items) {
    if (item === 'all') {
      roles.orchestrator = true;
      roles.audio = true;
      for (const n of fleet.nodes) add(roles.nodes, n.id);
      for (const l of fleet.llm) add(roles.llm, l.id);
    } else if (item === 'orchestrator') roles.orchestrator = true;
    else if (item === 'audio') roles.audio = true;
    else if (item.startsWith('node:') || item.startsWith('llm:')) {
      const gpu = item.startsWith('node:');
      const id = item.slice(gpu ? 5 : 4);
      const known = (gpu ? fleet.nodes : fleet.llm).map((n) => n.id);
      const list = gpu ? roles.nodes : roles.llm;
      if (id === '*') for (const k of known) add(list, k);
      else if (known.includes(id)) add(list, id);
      else
        throw new RolesError(
          `WORKER_ROLES: ${item} names no ${gpu ? 'GPU node' : 'LLM endpoint'} of COFI_FLEET (it has: ${known.join(', ') || 'none'})`,
        );
    } else {
      throw new RolesError(
        `WORKER_ROLES: unknown role "${item}" (roles: all, orchestrator, audio, node:<id>, llm:<id>)`,
      );
    }
  }
  return roles;
}

export function describeRoles(r: WorkerRoles): string {
  return [
    ...(r.orchestrator ? ['orchestrator'] : []),
    ...(r.audio ? ['audio'] : []),
    ...r.nodes.map((n) => `node:${n}`),
    ...r.llm.map((l) => `llm:${l}`),
  ].join(', ');
}
