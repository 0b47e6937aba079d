/**
 * @module Forwarding pushes to the in-cluster Flux Receiver: queued at intake (never inline, so the
 * webhook answer never waits on the cluster), sent by the consumer, retried on transient failures.
 */
import type { FluxReceiverMessage } from '../../contracts/queue.ts'
import type { Deps } from '../deps.ts'
import { backoffSeconds, type JobOutcome } from '../retry.ts'

/** Sends one notice; a refusal (4xx) is recorded and not retried, it needs a person. */
export async function notifyFluxJob(
	deps: Deps,
	message: FluxReceiverMessage,
	attempts: number,
): Promise<JobOutcome> {
	if (!deps.fluxReceiver) {
		await deps.receiverNotifications.finished(message.deliveryId, {
			status: 'failed',
			error: 'FLUX_RECEIVER_URL or FLUX_RECEIVER_SECRET is no longer set',
			at: deps.now(),
		})
		return { retry: false }
	}
	const sent = await deps.fluxReceiver.notify(message)
	if (sent.ok) {
		await deps.receiverNotifications.finished(message.deliveryId, {
			status: 'sent',
			error: null,
			at: deps.now(),
		})
		return { retry: false }
	}
	if (sent.error.retryable) {
		await deps.receiverNotifications.finished(message.deliveryId, {
			status: 'queued',
			error: sent.error.message,
			at: deps.now(),
		})
		return { retry: true, delaySeconds: backoffSeconds(attempts) }
	}
	await deps.receiverNotifications.finished(message.deliveryId, {
		status: 'failed',
		error: sent.error.message,
		at: deps.now(),
	})
	return { retry: false }
}
