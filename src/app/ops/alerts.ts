/**
 * @module Alerts leave through the queue: whatever raised one (a Flux transition, an egress
 * outage, a refused plan) only enqueues it; the consumer sends it and retries on transient errors.
 * No alert is lost silently: one that cannot be queued, or that the webhook refuses for good, is
 * recorded as a dead letter (kind `alert`), which the dashboard banner and `GET /api/status`
 * report; retries that run out reach the dead-letter queue, which records it the same way. Without
 * ALERT_WEBHOOK_URL alerts are off, and each is logged (`alert.dropped`).
 */
import { type AlertMessage, JOBS_QUEUE, jobMessage } from '../../contracts/queue.ts'
import type { Deps } from '../deps.ts'
import { backoffSeconds, type JobOutcome } from '../retry.ts'

type AlertDeps = Pick<Deps, 'alerts' | 'jobs' | 'deadLetters' | 'log' | 'now'>

/**
 * Queues an alert; without ALERT_WEBHOOK_URL it is only logged (`alert.dropped`). Never throws:
 * the caller's own work (an event already recorded, a check already stored) must not fail because
 * of its alert.
 */
export async function raiseAlert(deps: AlertDeps, source: string, text: string): Promise<void> {
	if (!deps.alerts) {
		deps.log.log('warn', 'alert.dropped', {
			source,
			reason: 'ALERT_WEBHOOK_URL is not set',
			text: text.slice(0, 300),
		})
		return
	}
	const message: AlertMessage = jobMessage('alert', { source, text: text.slice(0, 4000) })
	try {
		await deps.jobs.send(message)
	} catch (e) {
		await recordUndelivered(deps, message, `could not be queued: ${errorText(e)}`, 0)
	}
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
	if (sent.error.retryable) {
		return { retry: true, delaySeconds: backoffSeconds(attempts) }
	}
	await recordUndelivered(deps, message, sent.error.message, attempts)
	return { retry: false }
}

/** How the reason of every undelivered alert's dead letter starts. */
const UNDELIVERED = 'alert not delivered'

/**
 * Records an alert that will never reach the webhook. If even that fails, the error log is the
 * last place left, where the operator's log alerts see it.
 */
async function recordUndelivered(
	deps: Pick<Deps, 'deadLetters' | 'log' | 'now'>,
	message: AlertMessage,
	why: string,
	attempts: number,
): Promise<void> {
	try {
		await deps.deadLetters.record({
			messageId: `alert-${crypto.randomUUID()}`,
			queue: JOBS_QUEUE,
			kind: 'alert',
			body: message,
			reason: `${UNDELIVERED}: ${why}`,
			attempts,
			receivedAt: deps.now(),
		})
		deps.log.log('warn', 'alert.undelivered', { source: message.source, reason: why })
	} catch (e) {
		deps.log.log('error', 'alert.lost', {
			source: message.source,
			reason: why,
			error: errorText(e),
		})
	}
}

function errorText(e: unknown): string {
	return e instanceof Error ? e.message : String(e)
}
