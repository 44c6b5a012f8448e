// The first batch shape's bookkeeping (workflows/v1), registered beside the current one so that batches
// started before the batch ledger finish on the code that started them. Nothing new starts them.
import type { ActivityDeps } from '../deps.js';
import { createV1BatchActivities } from './batch.js';
import { createV1DailyActivities } from './daily.js';
import { createV1ReauditActivities } from './reaudit.js';

export function createV1Activities(deps: ActivityDeps) {
  return {
    ...createV1BatchActivities(deps),
    ...createV1ReauditActivities(deps),
    ...createV1DailyActivities(deps),
  };
}
