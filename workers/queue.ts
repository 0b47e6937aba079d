/**
 * @module The queue consumer: parse → dispatch on kind → ack or retry with backoff.
 * With `max_concurrency = 1` this is tidegate's only writer to Cloudflare.
 */

import type { Deps } from '../src/app/deps.ts'
import { reconcileJob } from '../src/app/edge/reconcile-job.ts'
import { notifyFluxJob } from '../src/app/flux/notify-receiver.ts'
import { deployStatusJob } from '../src/app/github/deploy-status.ts'
import { pullRequestDeps, pullRequestJob } from '../src/app/github/pull-request-job.ts'
import { sendAlertJob } from '../src/app/ops/alerts.ts'
import { recordDeadLetter } from '../src/app/ops/dead-letters.ts'
import { preflightJob } from '../src/app/preflight/job.ts'
import { backoffSeconds, type JobOutcome } from '../src/app/retry.ts'
import { DEAD_LETTER_QUEUE, type JobMessage, jobMessageSchema } from '../src/contracts/queue.ts'

/** Routes a parsed message to its use case; the switch keeps each kind paired with its handler's type. */
function dispatch(deps: Deps, message: JobMessage, attempts: number): Promise<JobOutcome> {
	switch (message.kind) {
		case 'reconcile':
			return reconcileJob(deps, message, attempts)
		case 'flux.receiver':
			return notifyFluxJob(deps, message, attempts)
		case 'alert':
			return sendAlertJob(deps, message, attempts)
		case 'preflight':
			return preflightJob(deps, message, attempts)
		case 'pull_request':
			// Handed the edge's reads only: a pull request's plan has nothing to write with.
			return pullRequestJob(pullRequestDeps(deps), message, attempts)
		case 'deploy.status':
			return deployStatusJob(deps, message, attempts)
	}
}

/** Handles one batch from either queue. Never acks a message whose work failed. */
export async function handleQueue(batch: MessageBatch<unknown>, deps: Deps): Promise<void> {
	if (batch.queue === DEAD_LETTER_QUEUE) {
		for (const message of batch.messages) {
			await recordDeadLetter(deps, {
				id: message.id,
				body: message.body,
				attempts: message.attempts,
			})
			message.ack()
		}
		return
	}
	for (const message of batch.messages) {
		const parsed = jobMessageSchema.safeParse(message.body)
		if (!parsed.success) {
			// Retrying cannot fix a malformed message; park it where it is recorded and visible.
			await deps.deadLetterQueue.send({
				reason: `unparseable message: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
				body: message.body,
				queue: batch.queue,
				messageId: message.id,
			})
			message.ack()
			continue
		}
		try {
			const outcome = await dispatch(deps, parsed.data, message.attempts)
			if (outcome.retry) {
				message.retry({ delaySeconds: outcome.delaySeconds })
			} else {
				message.ack()
			}
		} catch (e) {
			deps.log.log('error', 'queue.handler_failed', {
				kind: parsed.data.kind,
				messageId: message.id,
				attempts: message.attempts,
				error: e instanceof Error ? e.message : String(e),
			})
			message.retry({ delaySeconds: backoffSeconds(message.attempts) })
		}
	}
}
