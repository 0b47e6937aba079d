/**
 * Daily pruning of the bookkeeping tables that only grow. One `batch()` (a transaction), children
 * before parents: deliveries and applications refer to runs, so they go first and a run is deleted
 * only when nothing refers to it any more.
 */
import type { RetentionStore } from '../../domain/ports.ts'

/** D1-backed RetentionStore. */
export function d1Retention(db: D1Database): RetentionStore {
	return {
		async prune(before, { keepRuns, keepApplications, limit }) {
			// `id IN (SELECT … LIMIT ?)`: D1's SQLite has no DELETE … LIMIT; the bound keeps one pass short.
			const byAge = (table: string, key: string, time: string) =>
				db
					.prepare(
						`DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${table} WHERE ${time} < ?1 ORDER BY ${time} LIMIT ?2)`,
					)
					.bind(before, limit)
			const results = await db.batch([
				byAge('github_deliveries', 'delivery_id', 'received_at'),
				byAge('redelivery_requests', 'guid', 'requested_at'),
				byAge('receiver_notifications', 'delivery_id', 'updated_at'),
				byAge('preflight_results', 'commit_sha', 'checked_at'),
				// Raw Flux events (the derived ledger tables stay); the anchor of commit inference stays too.
				db
					.prepare(
						`DELETE FROM flux_events WHERE id IN (
							SELECT id FROM flux_events WHERE received_at < ?1
								AND id IS NOT (
									SELECT id FROM flux_events
									WHERE kind = 'Kustomization' AND commit_sha IS NOT NULL AND commit_inferred = 0
										AND outcome IN ('success', 'progress')
									ORDER BY occurred_at DESC, id DESC LIMIT 1)
							ORDER BY id LIMIT ?2)`,
					)
					.bind(before, limit),
				db
					.prepare(
						`DELETE FROM applications WHERE id IN (
							SELECT a.id FROM applications a
							WHERE a.applied_at < ?1
								AND (SELECT COUNT(*) FROM applications n WHERE n.resource = a.resource AND n.id > a.id) >= ?2
							ORDER BY a.id LIMIT ?3)`,
					)
					.bind(before, keepApplications, limit),
				db
					.prepare(
						`DELETE FROM runs WHERE id IN (
							SELECT id FROM runs
							WHERE queued_at < ?1 AND status NOT IN ('queued', 'running')
								AND id NOT IN (SELECT id FROM runs ORDER BY id DESC LIMIT ?2)
								AND id NOT IN (SELECT run_id FROM applications)
								AND id NOT IN (SELECT run_id FROM github_deliveries WHERE run_id IS NOT NULL)
							ORDER BY id LIMIT ?3)`,
					)
					.bind(before, keepRuns, limit),
			])
			const changed = (i: number) => results[i]?.meta.changes ?? 0
			return {
				deliveries: changed(0),
				redeliveryRequests: changed(1),
				receiverNotifications: changed(2),
				preflightResults: changed(3),
				fluxEvents: changed(4),
				applications: changed(5),
				runs: changed(6),
			}
		},
	}
}
