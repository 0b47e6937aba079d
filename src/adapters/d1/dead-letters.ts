/** Dead letters in D1 (table `dead_letters`). Recording twice is harmless: queues deliver at least once. */
import type { DeadLetterStore } from '../../domain/ports.ts'

/** D1-backed DeadLetterStore. */
export function d1DeadLetterStore(db: D1Database): DeadLetterStore {
	return {
		async record(letter) {
			await db
				.prepare(
					`INSERT INTO dead_letters (message_id, queue, kind, body, reason, attempts, received_at)
					 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (message_id) DO NOTHING`,
				)
				.bind(
					letter.messageId,
					letter.queue,
					letter.kind,
					JSON.stringify(letter.body),
					letter.reason,
					letter.attempts,
					letter.receivedAt,
				)
				.run()
		},
		async count() {
			const row = await db.prepare('SELECT COUNT(*) AS n FROM dead_letters').first<{ n: number }>()
			return row?.n ?? 0
		},
		async ofKind(kind) {
			const row = await db
				.prepare(
					`SELECT COUNT(*) AS n, newest.reason, newest.received_at
					 FROM dead_letters
					 LEFT JOIN (SELECT reason, received_at FROM dead_letters WHERE kind = ?1 ORDER BY id DESC LIMIT 1) AS newest
					 WHERE kind = ?1`,
				)
				.bind(kind)
				.first<{ n: number; reason: string | null; received_at: number | null }>()
			return {
				count: row?.n ?? 0,
				newest:
					row?.reason != null && row.received_at != null
						? { reason: row.reason, receivedAt: row.received_at }
						: undefined,
			}
		},
	}
}
