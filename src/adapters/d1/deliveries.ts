/** Verified GitHub deliveries in D1 (table `github_deliveries`). */
import type { DeliveryStore, GitHubDelivery } from '../../domain/github/ports.ts'
import { insertRun, type RunRow, toRun } from './runs.ts'

interface DeliveryRow {
	delivery_id: string
	event: string
	status: GitHubDelivery['status']
	reason: string | null
	ref: string | null
	after_sha: string | null
	run_id: number | null
	hook_id: string | null
	body_hash: string | null
	received_at: number
}

/** The `reason` of a `received` delivery whose handler is still at work (its claim). */
export const IN_PROGRESS = 'in progress'

/** Maps a row to the domain shape. */
export function toDelivery(row: DeliveryRow): GitHubDelivery {
	return {
		deliveryId: row.delivery_id,
		event: row.event,
		status: row.status,
		reason: row.reason,
		ref: row.ref,
		afterSha: row.after_sha,
		runId: row.run_id,
		hookId: row.hook_id,
		bodyHash: row.body_hash,
		receivedAt: row.received_at,
	}
}

/** D1-backed DeliveryStore. */
export function d1DeliveryStore(db: D1Database): DeliveryStore {
	async function findByBody(bodyHash: string): Promise<GitHubDelivery | undefined> {
		const row = await db
			.prepare('SELECT * FROM github_deliveries WHERE body_hash = ?1 ORDER BY received_at LIMIT 1')
			.bind(bodyHash)
			.first<DeliveryRow>()
		return row ? toDelivery(row) : undefined
	}
	return {
		async find(deliveryId) {
			const row = await db
				.prepare('SELECT * FROM github_deliveries WHERE delivery_id = ?1')
				.bind(deliveryId)
				.first<DeliveryRow>()
			return row ? toDelivery(row) : undefined
		},
		async save(d) {
			await db
				.prepare(
					`INSERT INTO github_deliveries (delivery_id, event, status, reason, ref, after_sha, run_id, hook_id, received_at, body_hash)
					 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
					 ON CONFLICT (delivery_id) DO UPDATE SET status = excluded.status, reason = excluded.reason,
						run_id = excluded.run_id, received_at = excluded.received_at`,
				)
				.bind(
					d.deliveryId,
					d.event,
					d.status,
					d.reason,
					d.ref,
					d.afterSha,
					d.runId,
					d.hookId,
					d.receivedAt,
					d.bodyHash,
				)
				.run()
		},
		async claim(d, staleBefore, run) {
			// The upsert only overwrites a `received` row whose handler gave up or died; a row the
			// statement did not write returns nothing, so exactly one of racing copies claims it. A body
			// another delivery id already carried is not inserted at all: a replay.
			const claim = db
				.prepare(
					`INSERT INTO github_deliveries (delivery_id, event, status, reason, ref, after_sha, run_id, hook_id, received_at, body_hash)
					 SELECT ?1, ?2, 'received', ?3, ?4, ?5, NULL, ?6, ?7, ?9
					 WHERE ?9 IS NULL OR NOT EXISTS (
						SELECT 1 FROM github_deliveries WHERE body_hash = ?9 AND delivery_id != ?1)
					 ON CONFLICT (delivery_id) DO UPDATE SET event = excluded.event, reason = excluded.reason,
						ref = excluded.ref, after_sha = excluded.after_sha, run_id = NULL, hook_id = excluded.hook_id,
						received_at = excluded.received_at,
						body_hash = COALESCE(github_deliveries.body_hash, excluded.body_hash)
					 WHERE github_deliveries.status = 'received'
						AND (github_deliveries.reason IS NOT ?3 OR github_deliveries.received_at < ?8)
					 RETURNING delivery_id`,
				)
				.bind(
					d.deliveryId,
					d.event,
					IN_PROGRESS,
					d.ref,
					d.afterSha,
					d.hookId,
					d.receivedAt,
					staleBefore,
					d.bodyHash,
				)
			const existing = async () =>
				(await this.find(d.deliveryId)) ??
				(d.bodyHash === null ? undefined : await findByBody(d.bodyHash))
			if (run === undefined) {
				const claimed = await claim.first<{ delivery_id: string }>()
				return claimed
					? { claimed: true, run: undefined }
					: { claimed: false, existing: await existing() }
			}
			// One round trip: a batch is one transaction, and changes() is the row count of the claim
			// just before it (0 when the upsert was refused), so the run exists exactly when the claim won.
			const [claimed, created] = await db.batch<{ delivery_id: string } | RunRow>([
				claim,
				insertRun(db, run, 'changes() = 1'),
			])
			if ((claimed?.results.length ?? 0) === 0) {
				return { claimed: false, existing: await existing() }
			}
			// Should changes() ever read otherwise, the won claim still gets its run, one round trip later.
			const row =
				(created?.results[0] as RunRow | undefined) ?? (await insertRun(db, run).first<RunRow>())
			if (!row) {
				throw new Error('INSERT INTO runs returned no row')
			}
			return { claimed: true, run: toRun(row) }
		},
		async release(deliveryId, reason) {
			await db
				.prepare(
					"UPDATE github_deliveries SET reason = ?2 WHERE delivery_id = ?1 AND status = 'received'",
				)
				.bind(deliveryId, reason)
				.run()
		},
		async latestHookId() {
			const row = await db
				.prepare(
					'SELECT hook_id FROM github_deliveries WHERE hook_id IS NOT NULL ORDER BY received_at DESC LIMIT 1',
				)
				.first<{ hook_id: string }>()
			return row?.hook_id
		},
		async handled(guids) {
			return inSet(
				db,
				`SELECT delivery_id AS id FROM github_deliveries WHERE status != 'received' AND delivery_id IN (SELECT value FROM json_each(?1))`,
				guids,
			)
		},
		async redeliveryRequested(guids) {
			return inSet(
				db,
				'SELECT guid AS id FROM redelivery_requests WHERE guid IN (SELECT value FROM json_each(?1))',
				guids,
			)
		},
		async recordRedelivery(r) {
			await db
				.prepare(
					`INSERT INTO redelivery_requests (guid, attempt_id, event, failed_status_code, requested_at, outcome)
					 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (guid) DO NOTHING`,
				)
				.bind(r.guid, r.attemptId, r.event, r.failedStatusCode, r.requestedAt, r.outcome)
				.run()
		},
	}
}

/** Runs a `... IN (json_each(?1))` query; one bound JSON array instead of N placeholders. */
async function inSet(db: D1Database, sql: string, ids: string[]): Promise<Set<string>> {
	if (ids.length === 0) {
		return new Set()
	}
	const { results } = await db.prepare(sql).bind(JSON.stringify(ids)).all<{ id: string }>()
	return new Set(results.map((r) => r.id))
}
