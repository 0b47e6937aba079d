/**
 * @module Runs whose message never reached the consumer (a Worker stopped between writing the run
 * and sending it, or a message lost) would stay `queued` for ever. On cron they are failed with
 * the reason, so the dashboard and the API tell the truth; the drift check reconciles the edge
 * anyway, so nothing is left undone.
 */
import type { Deps } from '../deps.ts'
import type { JobResult } from '../ops/jobs.ts'

/** A run still queued and never started after this long is lost: a queue delivers in seconds. */
export const LOST_AFTER_MS = 60 * 60 * 1000

/** Fails the lost runs. */
export async function failLostRuns(deps: Pick<Deps, 'runs' | 'now'>): Promise<JobResult> {
	const now = deps.now()
	const lost = await deps.runs.failLost(
		now - LOST_AFTER_MS,
		now,
		`never reached the queue consumer within ${LOST_AFTER_MS / 60_000} minutes; the drift check reconciles the edge instead`,
	)
	return {
		outcome: 'ok',
		detail: lost.length === 0 ? 'no lost runs' : `failed lost runs ${lost.join(', ')}`,
	}
}
