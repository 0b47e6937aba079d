/** Pushes forwarded to the Flux Receiver, in D1 (table `receiver_notifications`). */
import type { ReceiverNotificationStore } from '../../domain/flux/ports.ts'

/** D1-backed ReceiverNotificationStore. */
export function d1ReceiverNotifications(db: D1Database): ReceiverNotificationStore {
	return {
		async queued(notice, at) {
			await db
				.prepare(
					`INSERT INTO receiver_notifications (delivery_id, commit_sha, status, updated_at) VALUES (?1, ?2, 'queued', ?3)
					 ON CONFLICT (delivery_id) DO NOTHING`,
				)
				.bind(notice.deliveryId, notice.commitSha, at)
				.run()
		},
		async finished(deliveryId, result) {
			await db
				.prepare(
					`UPDATE receiver_notifications SET status = ?2, last_error = ?3, updated_at = ?4, attempts = attempts + 1
					 WHERE delivery_id = ?1`,
				)
				.bind(deliveryId, result.status, result.error, result.at)
				.run()
		},
	}
}
