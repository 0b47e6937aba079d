/** Daily retention: bookkeeping rows older than the window go, so D1 stays small. */
import type { Deps } from './deps.ts'
import type { JobResult } from './jobs.ts'

/** How long cron ticks are kept. */
export const CRON_TICK_RETENTION_MS = 30 * 24 * 60 * 60 * 1000

/** Prunes old cron ticks. */
export async function housekeeping(deps: Deps): Promise<JobResult> {
	const pruned = await deps.cronLog.prune(deps.now() - CRON_TICK_RETENTION_MS)
	return { outcome: 'ok', detail: `pruned ${pruned} cron ticks` }
}
