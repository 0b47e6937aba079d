/**
 * @module The drift check: on cron, reconcile to the tracked branch's head, so hand edits in the
 * Cloudflare dashboard are found (and corrected or reported, per `sync.drift`) within one interval.
 */
import type { ConfigName } from '../config.ts'
import type { Deps } from '../deps.ts'
import type { JobResult } from '../ops/jobs.ts'
import { newRun, sendRun } from './enqueue.ts'

/** A queued drift run older than this is presumed lost and no longer blocks a new one. */
const PENDING_WINDOW_MS = 15 * 60 * 1000

const NEEDS: ConfigName[] = ['GITHUB_REPOSITORY', 'GITHUB_TOKEN', 'CF_API_BASE_URL']

/** Queues one drift reconcile unless one is already pending or tidegate is not configured. */
export async function scheduleDriftCheck(deps: Deps): Promise<JobResult> {
	const missing = deps.missingConfig.filter((m) => NEEDS.includes(m.name)).map((m) => m.name)
	if (missing.length > 0) {
		return { outcome: 'skipped', detail: `not configured: ${missing.join(', ')}` }
	}
	const now = deps.now()
	// One statement decides, so overlapping ticks queue one run between them.
	const outcome = await deps.runs.createUnlessPending(
		newRun({ trigger: 'drift' }, now),
		now - PENDING_WINDOW_MS,
	)
	if (!('created' in outcome)) {
		const { pending } = outcome
		return {
			outcome: 'skipped',
			detail: pending ? `run ${pending.id} is still ${pending.status}` : 'a drift run is pending',
		}
	}
	await sendRun(deps, outcome.created)
	return { outcome: 'ok', detail: `queued run ${outcome.created.id}` }
}
