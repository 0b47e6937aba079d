/** The queue handler for `reconcile` messages. Replaced by the edge-sync use case (issue 3). */
import type { ReconcileMessage } from '../contracts/queue.ts'
import type { Deps } from './deps.ts'

/** What the consumer should do with the message. */
export type JobOutcome = { retry: false } | { retry: true; delaySeconds: number }

/** Runs one reconcile. */
export async function reconcileJob(
	deps: Deps,
	message: ReconcileMessage,
	_attempts: number,
): Promise<JobOutcome> {
	await deps.runs.start(message.runId, deps.now())
	return { retry: false }
}
