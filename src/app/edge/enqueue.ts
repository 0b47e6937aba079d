/**
 * @module Every reconcile starts here: a run row (so callers get an id at once), then the queue.
 * The queue consumer is the only writer, so pushes, cron and operators never race each other.
 */
import { type JobMessage, jobMessage } from '../../contracts/queue.ts'
import type { NewRun, Run, RunTrigger } from '../../domain/edge/runs.ts'
import type { Deps } from '../deps.ts'

/** What a caller asks to reconcile. */
export interface ReconcileRequest {
	trigger: RunTrigger
	dryRun?: boolean
	force?: boolean
	deliveryId?: string
}

/** Records a queued run and enqueues it. If the send fails, the run is marked failed and the error rethrown. */
export async function enqueueReconcile(
	deps: Pick<Deps, 'runs' | 'jobs' | 'now'>,
	request: ReconcileRequest,
): Promise<Run> {
	const run = await deps.runs.create(newRun(request, deps.now()))
	await sendRun(deps, run)
	return run
}

/** The run row a request becomes. */
export function newRun(request: ReconcileRequest, now: number): NewRun {
	return {
		trigger: request.trigger,
		dryRun: request.dryRun ?? false,
		force: request.force ?? false,
		queuedAt: now,
		...(request.deliveryId !== undefined && { deliveryId: request.deliveryId }),
	}
}

/**
 * Enqueues a recorded run, after `companions` in the same send (one queue call per push). If the
 * send fails, the run is marked failed and the error rethrown.
 */
export async function sendRun(
	deps: Pick<Deps, 'runs' | 'jobs' | 'now'>,
	run: Run,
	companions: JobMessage[] = [],
): Promise<void> {
	try {
		await deps.jobs.sendBatch([
			...companions,
			jobMessage('reconcile', {
				runId: run.id,
				trigger: run.trigger,
				dryRun: run.dryRun,
				force: run.force,
			}),
		])
	} catch (e) {
		await failUnsent(deps, run.id, e)
		throw e
	}
}

/** Marks a run that never reached the queue as failed, saying why. */
export async function failUnsent(
	deps: Pick<Deps, 'runs' | 'now'>,
	runId: number,
	cause: unknown,
): Promise<void> {
	await deps.runs.finish(runId, {
		status: 'failed',
		errorCode: 'enqueue_failed',
		errorMessage: `could not queue the run: ${cause instanceof Error ? cause.message : String(cause)}`,
		finishedAt: deps.now(),
	})
}
