// POST /audit/upload and GET /audit/status/{task_id}: the seed's audit contract on Temporal.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { mainQueue } from '../../core/fleet.js';
import { AUDIT_STAGES, orderStages, type Stage } from '../../core/stages.js';
import { batchStatus, call, categoryMapping, process } from '../../drizzle/schema/index.js';
import { auditUpload } from '../../workflows/auditUpload.js';
import {
  BATCH_WORKFLOW_TASK_TIMEOUT,
  batchSettings,
  SEARCH_ATTRIBUTES,
  workflowIds,
} from '../../workflows/definitions.js';
import { batchView, findBatchByTask } from '../batchView.js';
import { workflowBusy } from '../closingWorkflow.js';
import type { ApiDeps } from '../deps.js';
import { ApiError, badRequest, describeError, isDuplicateKey } from '../errors.js';
import { sameNamePair } from '../names.js';
import { receiveUpload, type StagedUpload } from '../upload.js';

export const AUDIT_BUSY = 'Another audit upload is already being processed';
const FIELDS = new Set(['process_id', 'category_mapping_id', 'stages']);

const conflict = () => new ApiError('conflict', AUDIT_BUSY);

function single(fields: Map<string, string[]>, name: string): string | undefined {
  const values = fields.get(name);
  if (values && values.length > 1) throw badRequest(`field "${name}" was given more than once`);
  return values?.[0]?.trim();
}

function positiveId(name: string, value: string): number {
  if (!/^\d{1,10}$/.test(value) || Number(value) < 1 || Number(value) > 2147483647) {
    throw new ApiError('validation_error', `${name} must be a positive integer, got "${value.slice(0, 40)}"`);
  }
  return Number(value);
}

/** `stages` as a comma-separated list and/or repeated field; distribution is always part of an upload. */
export function parseAuditStages(values: string[] | undefined): Stage[] {
  if (!values || values.length === 0) return [...AUDIT_STAGES];
  const names = values
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(AUDIT_STAGES as readonly string[]).includes(n));
  if (unknown.length) {
    throw new ApiError(
      'validation_error',
      `unknown stage(s): ${unknown.join(', ')}; known: ${AUDIT_STAGES.join(', ')}`,
    );
  }
  const stages = orderStages(['distribute', ...(names as Stage[])]);
  if ((stages.includes('llm1') || stages.includes('llm2')) && !stages.includes('stt')) {
    throw new ApiError('validation_error', 'llm1 and llm2 need a transcript: include stt in stages');
  }
  return stages;
}

async function validateFields(deps: ApiDeps, upload: StagedUpload) {
  const unknown = [...upload.fields.keys()].filter((k) => !FIELDS.has(k));
  if (unknown.length) throw badRequest(`unknown field(s): ${unknown.map((u) => u.slice(0, 40)).join(', ')}`);
  if (upload.files.length === 0) throw badRequest('no files: send one or more recordings as "files"');
  const rawProcess = single(upload.fields, 'process_id');
  if (!rawProcess) throw new ApiError('validation_error', 'process_id is required');
  const processId = positiveId('process_id', rawProcess);
  const rawMapping = single(upload.fields, 'category_mapping_id');
  const mappingId = rawMapping ? positiveId('category_mapping_id', rawMapping) : 1;
  const stages = parseAuditStages(upload.fields.get('stages'));
  const db = deps.database.db;
  const [proc] = await db.select().from(process).where(eq(process.id, processId));
  if (!proc?.active) throw new ApiError('validation_error', `process_id ${processId} does not exist`);
  const [mapping] = await db.select().from(categoryMapping).where(eq(categoryMapping.id, mappingId));
  if (!mapping) throw new ApiError('validation_error', `category_mapping_id ${mappingId} does not exist`);
  return { processId, mappingId, stages };
}

/** Two names the database holds equal (it compares ignoring case and accents), for the 400's `detail`. */
function duplicateNames(upload: StagedUpload): ApiError {
  const pair = sameNamePair(upload.files.map((f) => f.name));
  return badRequest(
    pair
      ? `duplicate file names in one upload: "${pair[0]}" and "${pair[1]}" (names are compared ignoring case and accents)`
      : 'duplicate file names in one upload (names are compared ignoring case and accents)',
  );
}

/** Whether an audit upload is being processed (one that is only closing does not count). */
function uploadBusy(deps: ApiDeps, workflowId: string): Promise<boolean> {
  return workflowBusy(deps, workflowId, async (memo) => {
    const batchId = Number(memo.batchId);
    if (!Number.isInteger(batchId)) return undefined;
    const [row] = await deps.database.db
      .select({ status: batchStatus.status })
      .from(batchStatus)
      .where(eq(batchStatus.id, batchId));
    return row?.status;
  });
}

export function auditRoutes(deps: ApiDeps) {
  const app = new Hono();
  const db = deps.database.db;

  app.post('/audit/upload', async (c) => {
    const workflowId = workflowIds.auditUpload(deps.config.COFI_TASK_QUEUE);
    // Fast refusal before reading a large body; the start below is what makes the rule atomic.
    if (await uploadBusy(deps, workflowId)) throw conflict();
    const upload = await receiveUpload(
      c.req.raw,
      deps.audio,
      {
        maxFiles: deps.config.MAX_UPLOAD_FILES,
        maxFileBytes: deps.config.MAX_FILE_BYTES,
        fileField: 'files',
        idleMs: deps.config.REQUEST_TIMEOUT_MS,
      },
      deps.probeAudio,
    );
    let batchId: number | undefined;
    try {
      const { processId, mappingId, stages } = await validateFields(deps, upload);
      const newBatchId = await db.transaction(async (tx) => {
        const [inserted] = await tx.insert(batchStatus).values({
          batchDate: new Date().toISOString().slice(0, 10),
          kind: 'audit',
          taskId: `pending-${upload.dir.slice(-36)}`,
          workflowId,
          processId,
          categoryMappingId: mappingId,
          stages,
          totalFiles: upload.files.length,
          source: 'upload',
        });
        const id = inserted.insertId;
        await tx
          .update(batchStatus)
          .set({ taskId: `audit-${id}` })
          .where(eq(batchStatus.id, id));
        await tx.insert(call).values(
          upload.files.map((f) => ({
            batchId: id,
            audioName: f.name,
            storedPath: deps.audio.batchFile(id, f.position, f.info.format),
            processId,
            categoryMappingId: mappingId,
            audioFormat: f.info.format,
            audioBytes: f.info.bytes,
            audioDuration: f.info.duration,
          })),
        );
        return id;
      });
      batchId = newBatchId;
      await deps.audio.commitStaging(upload.dir, newBatchId);
      const start = () =>
        deps.temporal.workflow.start(auditUpload, {
          workflowId,
          taskQueue: mainQueue(deps.config.COFI_TASK_QUEUE),
          args: [
            {
              batchId: newBatchId,
              stages,
              ...batchSettings(deps.config),
            },
          ],
          workflowIdConflictPolicy: 'FAIL',
          workflowTaskTimeout: BATCH_WORKFLOW_TASK_TIMEOUT,
          typedSearchAttributes: [
            { key: SEARCH_ATTRIBUTES.batchId, value: newBatchId },
            { key: SEARCH_ATTRIBUTES.processId, value: processId },
            { key: SEARCH_ATTRIBUTES.kind, value: 'audit' },
          ],
          memo: { batchId: newBatchId, taskId: `audit-${newBatchId}`, files: upload.files.length },
        });
      const handle = await start().catch(async (err) => {
        // Temporal's workflow-id uniqueness is the atomic check; a workflow that was only closing is no conflict.
        if (err instanceof WorkflowExecutionAlreadyStartedError && !(await uploadBusy(deps, workflowId)))
          return start();
        throw err;
      });
      await db
        .update(batchStatus)
        .set({ runId: handle.firstExecutionRunId })
        .where(eq(batchStatus.id, batchId));
      return c.json({
        status: 'queued',
        task_id: `audit-${batchId}`,
        batch_id: batchId,
        files: upload.files.length,
      });
    } catch (err) {
      await deps.audio.remove(upload.dir);
      if (batchId !== undefined) {
        const id = batchId;
        await db.transaction(async (tx) => {
          await tx.delete(call).where(eq(call.batchId, id));
          await tx.delete(batchStatus).where(eq(batchStatus.id, id));
        });
        await deps.audio.removeBatch(id);
      }
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw conflict();
      if (err instanceof ApiError) throw err;
      // call_batch_audio is unique under the column's collation, which ignores case and accents.
      if (isDuplicateKey(err)) throw duplicateNames(upload);
      throw new ApiError('unavailable', `could not queue the upload: ${describeError(err)}`);
    }
  });

  app.get('/audit/status/:taskId', async (c) => {
    const batch = await findBatchByTask(deps, c.req.param('taskId'), 'audit');
    return c.json(await batchView(deps, batch));
  });

  return app;
}
