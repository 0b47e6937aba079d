/**
 * @module Alerts leave through the queue: whatever raised one (a Flux transition, an egress
 * outage, a refused plan) only enqueues it; the consumer sends it and retries on transient errors.
 */
import type { AlertMessage } from '../../contracts/queue.ts'
import type { Deps } from '../deps.ts'
import { backoffSeconds, type JobOutcome } from '../edge/reconcile-job.ts'

/** Queues an alert; without ALERT_WEBHOOK_URL it is only logged (`alert.dropped`), never silently lost. */
export async function raiseAlert(
	deps: Pick<Deps, 'alerts' | 'jobs' | 'log'>,
	source: string,
	text: string,
): Promise<void> {
	if (!deps.alerts) {
		deps.log.log('warn', 'alert.dropped', {
			source,
			reason: 'ALERT_WEBHOOK_URL is not set',
			text: text.slice(0, 300),
		})
		return
	}
	await deps.jobs.send({ v: 1, kind: 'alert', source, text: text.slice(0, 4000) })
}

/** Sends one queued alert. */
export async function sendAlertJob(
	deps: Deps,
	message: AlertMessage,
	attempts: number,
): Promise<JobOutcome> {
	if (!deps.alerts) {
		deps.log.log('warn', 'alert.dropped', {
			source: message.source,
			reason: 'ALERT_WEBHOOK_URL is not set',
		})
		return { retry: false }
	}
	const sent = await deps.alerts.send({ text: message.text })
	if (sent.ok) {
		return { retry: false }
	}
	deps.log.log('warn', 'alert.failed', {
		source: message.source,
		attempts,
		error: sent.error.message,
	})
	return sent.error.retryable
		? { retry: true, delaySeconds: backoffSeconds(attempts) }
		: { retry: false }
}
