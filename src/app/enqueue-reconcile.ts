/**
 * @module Every reconcile starts here: a run row (so callers get an id at once), then the queue.
 * The queue consumer is the only writer, so pushes, cron and operators never race each other.
 */
import type { Run, RunTrigger } from '../domain/ports.ts'
import type { Deps } from './deps.ts'

/** Records a queued run and enqueues it. If the send fails, the run is marked failed and the error rethrown. */
export async function enqueueReconcile(
	deps: Pick<Deps, 'runs' | 'jobs' | 'now'>,
	request: { trigger: RunTrigger; dryRun?: boolean; force?: boolean; deliveryId?: string },
): Promise<Run> {
	const dryRun = request.dryRun ?? false
	const force = request.force ?? false
	const run = await deps.runs.create({
		trigger: request.trigger,
		dryRun,
		force,
		queuedAt: deps.now(),
		...(request.deliveryId !== undefined && { deliveryId: request.deliveryId }),
	})
	try {
		await deps.jobs.send({
			v: 1,
			kind: 'reconcile',
			runId: run.id,
			trigger: request.trigger,
			dryRun,
			force,
		})
	} catch (e) {
		await deps.runs.finish(run.id, {
			status: 'failed',
			errorCode: 'enqueue_failed',
			errorMessage: `could not queue the run: ${e instanceof Error ? e.message : String(e)}`,
			finishedAt: deps.now(),
		})
		throw e
	}
	return run
}
