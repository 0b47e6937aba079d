/**
 * @module Cron: each cron string in wrangler.toml maps to jobs run in order. An unknown string
 * throws, so a renamed trigger cannot silently stop a job.
 */

import type { Deps } from '../src/app/deps.ts'
import { scheduleDriftCheck } from '../src/app/edge/drift.ts'
import { failLostRuns } from '../src/app/edge/lost-runs.ts'
import { checkEgressJob } from '../src/app/egress/check.ts'
import { repairMissedDeliveries } from '../src/app/github/repair-deliveries.ts'
import { housekeeping } from '../src/app/ops/housekeeping.ts'
import type { JobResult } from '../src/app/ops/jobs.ts'
import { CRONS, type CronString } from './triggers.ts'

interface Job {
	name: string
	run: (deps: Deps) => Promise<JobResult>
}

/** Cron string → jobs; every string of `CRONS` (wrangler.toml's triggers) has its jobs. */
export const CRON_JOBS: Record<CronString, Job[]> = {
	[CRONS.drift]: [
		{ name: 'drift', run: scheduleDriftCheck },
		{ name: 'deliveries', run: repairMissedDeliveries },
		{ name: 'lost-runs', run: failLostRuns },
	],
	[CRONS.housekeeping]: [{ name: 'housekeeping', run: housekeeping }],
	[CRONS.egress]: [{ name: 'egress', run: checkEgressJob }],
}

/**
 * Runs this tick's jobs, each recorded in `cron_ticks`. A failing job does not stop the next;
 * the tick fails afterwards so the platform records it.
 */
export async function handleScheduled(controller: ScheduledController, deps: Deps): Promise<void> {
	const jobs = (CRON_JOBS as Record<string, Job[] | undefined>)[controller.cron]
	if (!jobs) {
		throw new Error(
			`unknown cron "${controller.cron}": add it to CRONS in workers/triggers.ts and CRON_JOBS in workers/scheduled.ts`,
		)
	}
	const failures: string[] = []
	for (const job of jobs) {
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
			failures.push(`${job.name}: ${detail}`)
		}
	}
	if (failures.length > 0) {
		throw new Error(`cron "${controller.cron}" had failing jobs: ${failures.join('; ')}`)
	}
}
