/**
 * @module The queue handler for `reconcile` messages: run bookkeeping and commit statuses around
 * the edge-sync use case. Retryable failures go back to the queue with backoff; spent retries
 * reach the dead-letter queue, whose consumer marks the run `dead`.
 */
import type { ReconcileMessage } from '../../contracts/queue.ts'
import type { Run } from '../../domain/edge/runs.ts'
import type { Deps } from '../deps.ts'
import { pullRequestPlanNote } from '../github/pull-request-merge.ts'
import { alertOnRunResult } from '../ops/run-alerts.ts'
import { type JobOutcome, retryDelaySeconds } from '../retry.ts'
import { type RunResult, reconcile } from './reconcile.ts'

/** The commit status context tidegate reports edge sync under. */
export const EDGE_SYNC_CONTEXT = 'tidegate/edge-sync'

/** Runs one reconcile message. Duplicate deliveries of a finished run do nothing. */
export function reconcileJob(
	deps: Deps,
	message: ReconcileMessage,
	attempts: number,
): Promise<JobOutcome> {
	return executeRun(deps, message.runId, attempts, { mayRetry: true })
}

/**
 * Runs a recorded run and records how it ended. With `mayRetry: false` (a dry run answered
 * inside an HTTP request) a retryable failure ends the run as failed instead of requeueing it.
 */
export async function executeRun(
	deps: Deps,
	runId: number,
	attempts: number,
	options: { mayRetry: boolean },
): Promise<JobOutcome> {
	const existing = await deps.runs.get(runId)
	if (!existing || (existing.status !== 'queued' && existing.status !== 'running')) {
		deps.log.log('info', 'reconcile.skipped_finished_run', { runId, status: existing?.status })
		return { retry: false }
	}
	const started = deps.now()
	const run = (await deps.runs.start(runId, started)) ?? existing
	const mark = deps.calls.mark()
	const reportsOnCommit = run.trigger !== 'drift' && !run.dryRun
	const result = await reconcile(deps, run, {
		onCommit: async (sha) => {
			if (reportsOnCommit) {
				await postStatus(deps, run, sha, 'pending', 'reconciling the edge with this commit')
			}
		},
	})
	const apiCalls = deps.calls.since(mark)

	if (result.status === 'failed' && result.retryable && options.mayRetry) {
		const delaySeconds = retryDelaySeconds(attempts, result.retryAfterSeconds)
		await deps.runs.requeue(run.id, {
			errorCode: result.errorCode,
			errorMessage: `${result.errorMessage} (attempt ${attempts}; retrying in ${delaySeconds} s)`,
		})
		deps.log.log('warn', 'reconcile.retry', {
			runId: run.id,
			attempts,
			delaySeconds,
			code: result.errorCode,
		})
		return { retry: true, delaySeconds }
	}

	await deps.runs.finish(run.id, {
		status: result.status,
		commitSha: result.commitSha ?? null,
		summary: result.status === 'failed' ? null : result.summary,
		plan: result.plan,
		warnings: result.warnings,
		apiCalls,
		errorCode: result.status === 'failed' ? result.errorCode : null,
		errorMessage: result.status === 'failed' ? result.errorMessage : null,
		finishedAt: deps.now(),
		durationMs: deps.now() - started,
	})
	deps.log.log('info', 'reconcile.finished', {
		runId: run.id,
		status: result.status,
		calls: apiCalls.length,
	})
	await alertOnRunResult(deps, run, result)
	if (reportsOnCommit && result.commitSha) {
		const [state, description] = finalStatus(result)
		const note = run.trigger === 'push' ? await pullRequestPlanNote(deps, result) : null
		await postStatus(
			deps,
			run,
			result.commitSha,
			state,
			note ? `${note}; ${description}` : description,
		)
	}
	return { retry: false }
}

function finalStatus(result: RunResult): ['success' | 'failure', string] {
	switch (result.status) {
		case 'failed':
			return ['failure', result.errorMessage]
		case 'refused':
			return ['failure', result.summary]
		default:
			return ['success', result.summary]
	}
}

/** A status that cannot be posted is logged, never fatal: the run record is the source of truth. */
async function postStatus(
	deps: Deps,
	run: Run,
	sha: string,
	state: 'pending' | 'success' | 'failure',
	description: string,
): Promise<void> {
	const posted = await deps.repository.postStatus(sha, {
		state,
		context: EDGE_SYNC_CONTEXT,
		description,
		...(deps.publicUrl && { targetUrl: `${deps.publicUrl}/runs/${run.id}` }),
	})
	if (!posted.ok) {
		deps.log.log('warn', 'github.status_failed', { runId: run.id, error: posted.error.message })
	}
}
