// GET /fleet: every GPU node and LLM endpoint of the configured fleet, who polls its task queue, what is at
// it and its newest failure; the orchestrators and the audio queue's pollers beside them.
import { createRoute, z } from '@hono/zod-openapi';
import { STAGES } from '../../core/stages.js';
import type { ApiDeps } from '../deps.js';
import { createRouter, errorResponses, json } from '../openapi.js';
import { ERRORING_MS, FLEET_STATUSES, QUEUE_STATUSES, readFleet } from '../queries/fleet.js';

const when = z.string().openapi({ format: 'date-time' });

const pollerSchema = z
  .object({
    identity: z.string().openapi({ description: "the worker's identity (pid@host by default)" }),
    last_access: when.nullable(),
  })
  .openapi('Poller');

const pollers = z.array(pollerSchema).nullable().openapi({
  description:
    'who polled the queue within the last 90 s, as Temporal saw it; null when Temporal could not be asked (`temporal_error`)',
});
const backlog = z
  .number()
  .int()
  .nullable()
  .openapi({ description: "tasks waiting in the queue (Temporal's approximate count); null when unknown" });

const queueSchema = z
  .object({
    task_queue: z.string(),
    pollers,
    backlog,
    status: z.enum(QUEUE_STATUSES).openapi({
      description:
        '`no_poller`: nobody polls the queue, its work waits; `unknown`: Temporal could not be asked',
    }),
  })
  .openapi('FleetQueue');

const lastErrorSchema = z
  .object({
    at: when,
    stage: z.string(),
    source: z.enum(['failed', 'moved']).openapi({
      description:
        '`failed`: a call failed at this stage with a request to this node (the failure log); `moved`: a call was moved off the node (a `file_redistributed` event)',
    }),
    error_type: z.string().nullable(),
    message: z.string(),
    batch_id: z.number().int().nullable(),
    call_id: z.number().int().nullable(),
  })
  .openapi('FleetLastError');

const agentSchema = z
  .object({
    holder: z.string().openapi({ description: 'host/pid/random of the node agent holding the queue' }),
    since: when,
    renewed_at: when,
    expires_at: when,
    expired: z.boolean().openapi({ description: 'the holder stopped renewing; another agent may take over' }),
  })
  .openapi('FleetAgentLease');

const nodeSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['gpu', 'llm']),
    url: z.string(),
    model: z.string(),
    stages: z.array(z.enum(STAGES)),
    capacity: z.number().int().openapi({ description: 'requests the node serves at once (COFI_FLEET)' }),
    simulated: z
      .boolean()
      .openapi({ description: 'marked `simulated` in COFI_FLEET: answered by the simulator' }),
    task_queue: z.string(),
    pollers,
    backlog,
    in_flight: z.number().int().openapi({
      description:
        "calls of open batches at one of this node's stages now: the ledger has the stage before it done and this stage undecided, and the call is routed here. Served, or waiting for a slot or in the queue; a call at its batch's first stage (a reaudit from LID) is not counted",
    }),
    last_error: lastErrorSchema.nullable(),
    agent: agentSchema
      .nullable()
      .openapi({ description: "the node agent's lease (table nodeAgent); null: none" }),
    status: z.enum(FLEET_STATUSES).openapi({
      description: `\`no_poller\`: nobody polls the node's queue, calls routed there wait; \`erroring\`: its last error is less than ${ERRORING_MS / 60_000} minutes old; \`unknown\`: Temporal could not be asked; else \`ok\``,
    }),
  })
  .openapi('FleetNode');

export const fleetSchema = z
  .object({
    checked_at: when,
    temporal_error: z.string().nullable().openapi({
      description: 'why Temporal could not be asked (pollers are then null); null when it answered',
    }),
    orchestrators: queueSchema.openapi({ description: "the main queue's workflow pollers" }),
    audio: queueSchema.openapi({ description: "the audio queue's activity pollers (denoise, IVR)" }),
    nodes: z.array(nodeSchema),
  })
  .openapi('Fleet');

const fleet = createRoute({
  method: 'get',
  path: '/fleet',
  tags: ['operations'],
  summary: 'GPU nodes and LLM endpoints: pollers, in flight, capacity, last error, agent lease',
  description:
    'One entry per GPU node and LLM endpoint of the fleet this API is configured with. Pollers and backlogs come from Temporal; when it cannot be asked the answer is still 200, with `temporal_error` set and pollers null.',
  responses: { 200: json(fleetSchema, 'the fleet now'), ...errorResponses() },
});

export function fleetRoutes(deps: ApiDeps) {
  return createRouter().openapi(fleet, async (c) => c.json(await readFleet(deps), 200));
}
