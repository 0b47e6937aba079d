/** Daily retention: bookkeeping rows older than their window go, so D1 stays small. */
import type { Deps } from '../deps.ts'
import { STATUS_RUNS } from '../edge/status.ts'
import type { JobResult } from './jobs.ts'

const DAY = 24 * 60 * 60 * 1000

/** How long cron ticks are kept. */
export const CRON_TICK_RETENTION_MS = 30 * DAY

/**
 * How long runs, deliveries, applications and pre-flight results are kept. A drift run every five
 * minutes stores its plan and API calls, 2.5 KB for the demo's small file: ~0.26 GB a year, and
 * more with more rules, against the Free plan's 500 MB database.
 */
export const BOOKKEEPING_RETENTION_MS = 90 * DAY

/** Applications kept per resource whatever their age: the rollback history. */
export const APPLICATIONS_KEPT = 20

/** Rows deleted per table per day at most, so one pass stays short after a long backlog. */
export const PRUNE_LIMIT = 10_000

/** Prunes old cron ticks and bookkeeping. */
export async function housekeeping(
	deps: Pick<Deps, 'cronLog' | 'retention' | 'now'>,
): Promise<JobResult> {
	const now = deps.now()
	const ticks = await deps.cronLog.prune(now - CRON_TICK_RETENTION_MS)
	const rows = await deps.retention.prune(now - BOOKKEEPING_RETENTION_MS, {
		keepRuns: STATUS_RUNS,
		keepApplications: APPLICATIONS_KEPT,
		limit: PRUNE_LIMIT,
	})
	const counts = Object.entries(rows)
		.map(([table, n]) => `${n} ${table}`)
		.join(', ')
	return { outcome: 'ok', detail: `pruned ${ticks} cron ticks, ${counts}` }
}
