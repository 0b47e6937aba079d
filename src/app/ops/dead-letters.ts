/**
 * @module The dead-letter branch: work whose retries are spent is recorded with its reason,
 * and a run it belonged to is marked `dead`, so the dashboard shows it instead of losing it.
 */
import { JOBS_QUEUE, jobMessageSchema } from '../../contracts/queue.ts'
import type { Deps } from '../deps.ts'
import { alertOnDeadRun } from './run-alerts.ts'

interface Received {
	id: string
	body: unknown
	attempts: number
}

/** Records one message from the dead-letter queue. */
export async function recordDeadLetter(deps: Deps, message: Received): Promise<void> {
	const parked = parkedEnvelope(message.body)
	const body = parked ? parked.body : message.body
	const job = jobMessageSchema.safeParse(body)
	// A run's last failure is what an operator needs to see; "retries exhausted" alone hides it.
	const run =
		job.success && job.data.kind === 'reconcile' ? await deps.runs.get(job.data.runId) : undefined
	const lastError = run?.errorMessage ? `; last error: ${run.errorMessage}` : ''
	const reason = parked?.reason ?? `retries exhausted${lastError}`
	await deps.deadLetters.record({
		messageId: parked?.messageId ?? message.id,
		queue: parked?.queue ?? JOBS_QUEUE,
		kind: job.success ? job.data.kind : null,
		body,
		reason,
		attempts: message.attempts,
		receivedAt: deps.now(),
	})
	if (job.success && job.data.kind === 'reconcile') {
		await deps.runs.finish(job.data.runId, {
			status: 'dead',
			errorCode: 'dead_letter',
			errorMessage: `${reason}; the message is kept in dead_letters`,
			finishedAt: deps.now(),
		})
		if (run) {
			await alertOnDeadRun(deps, run, reason)
		}
	}
	deps.log.log('warn', 'queue.dead_letter', { messageId: message.id, reason })
}

function parkedEnvelope(
	body: unknown,
): { reason: string; queue: string; messageId: string; body: unknown } | undefined {
	if (
		typeof body === 'object' &&
		body !== null &&
		(body as { deadLetter?: unknown }).deadLetter === true
	) {
		const b = body as Record<string, unknown>
		return {
			reason: String(b.reason),
			queue: String(b.queue),
			messageId: String(b.messageId),
			body: b.body,
		}
	}
	return undefined
}
