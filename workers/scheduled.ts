/**
 * @module Cron: each cron string in wrangler.toml maps to one job. An unknown string throws,
 * so a renamed trigger cannot silently stop a job.
 */
import type { Deps } from '../src/app/deps.ts'
import { scheduleDriftCheck } from '../src/app/drift.ts'
import { housekeeping } from '../src/app/housekeeping.ts'
import type { JobResult } from '../src/app/jobs.ts'

/** Cron string → job. Keep in sync with `[triggers] crons` in wrangler.toml. */
export const CRON_JOBS = {
	'*/5 * * * *': { name: 'drift', run: scheduleDriftCheck },
	'17 3 * * *': { name: 'housekeeping', run: housekeeping },
} as const satisfies Record<string, { name: string; run: (deps: Deps) => Promise<JobResult> }>

/** Runs the job for this tick and records it in `cron_ticks`. */
export async function handleScheduled(controller: ScheduledController, deps: Deps): Promise<void> {
	const job = CRON_JOBS[controller.cron as keyof typeof CRON_JOBS]
	if (!job) {
		throw new Error(
			`unknown cron "${controller.cron}": add it to CRON_JOBS in workers/scheduled.ts`,
		)
	}
	const tick = await deps.cronLog.start({
		cron: controller.cron,
		job: job.name,
		scheduledAt: controller.scheduledTime,
		startedAt: deps.now(),
	})
	try {
		const result = await job.run(deps)
		await deps.cronLog.finish(tick, { ...result, finishedAt: deps.now() })
	} catch (e) {
		const detail = e instanceof Error ? e.message : String(e)
		await deps.cronLog.finish(tick, { outcome: 'failed', detail, finishedAt: deps.now() })
		throw e
	}
}
