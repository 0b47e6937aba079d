/**
 * @module The Flux ledger's writes in D1. One event is one `batch()` — a transaction — whose
 * statements after the object write run only if that write won (its `write_token` is there), so
 * concurrent events for one object never interleave their read-modify-write.
 */
import type { FluxLedgerStore, FluxLedgerWrite } from '../../domain/flux/ports.ts'

// Binds ?1..?4 in every statement of a write: the object's key and this write's token.
const WON =
	'EXISTS (SELECT 1 FROM flux_objects WHERE kind = ?1 AND namespace = ?2 AND name = ?3 AND write_token = ?4)'

/** The writes of the D1-backed FluxLedgerStore: record an event, find one by its body hash. */
export function d1FluxLedgerWrites(db: D1Database): Pick<FluxLedgerStore, 'findEvent' | 'record'> {
	function statements(write: FluxLedgerWrite, token: string): D1PreparedStatement[] {
		const o = write.object
		const e = write.event
		const key = [o.ref.kind, o.ref.namespace, o.ref.name, token] as const
		const objectValues = [
			o.state,
			o.stateAt,
			JSON.stringify(o.track),
			o.lastEventAt,
			o.lastRevision,
			o.lastCommit,
			o.lastReason,
			o.lastMessage,
			o.failureClass,
			o.failingSince,
			o.lastGoodRevision,
			o.lastGoodCommit,
			o.lastGoodAt,
			o.events,
		]
		const out: D1PreparedStatement[] = []
		out.push(
			write.expectedVersion === null
				? db
						.prepare(
							`INSERT INTO flux_objects (kind, namespace, name, write_token, state, state_at, track, last_event_at,
								last_revision, last_commit, last_reason, last_message, failure_class, failing_since,
								last_good_revision, last_good_commit, last_good_at, events, version)
							 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, 1)`,
						)
						.bind(...key, ...objectValues)
				: db
						.prepare(
							`UPDATE flux_objects SET write_token = ?4, state = ?5, state_at = ?6, track = ?7, last_event_at = ?8,
								last_revision = ?9, last_commit = ?10, last_reason = ?11, last_message = ?12, failure_class = ?13,
								failing_since = ?14, last_good_revision = ?15, last_good_commit = ?16, last_good_at = ?17,
								events = ?18, version = version + 1
							 WHERE kind = ?1 AND namespace = ?2 AND name = ?3 AND version = ?19`,
						)
						.bind(...key, ...objectValues, write.expectedVersion),
		)
		out.push(
			db
				.prepare(
					`INSERT INTO flux_events (kind, namespace, name, body_hash, uid, api_version, severity, reason, message,
						reporting_controller, reporting_instance, revision, commit_sha, commit_inferred, revision_key, outcome,
						failure_class, occurred_at, received_at, stale, metadata, body)
					 SELECT ?1, ?2, ?3, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23
					 WHERE ${WON} RETURNING id`,
				)
				.bind(
					...key,
					write.bodyHash,
					e.object.uid,
					e.object.apiVersion,
					e.severity,
					e.reason,
					e.message,
					e.reportingController,
					e.reportingInstance,
					e.revision?.raw ?? null,
					e.commitSha,
					e.commitInferred ? 1 : 0,
					write.revisionKey,
					e.outcome,
					e.failureClass,
					e.occurredAt,
					e.receivedAt,
					write.stale ? 1 : 0,
					JSON.stringify(e.metadata),
					write.rawBody,
				),
		)
		if (write.span?.kind === 'open') {
			const s = write.span.span
			out.push(
				db
					.prepare(
						`INSERT INTO flux_failures (kind, namespace, name, failed_at, failed_revision, failure_class, message)
						 SELECT ?1, ?2, ?3, ?5, ?6, ?7, ?8 WHERE ${WON}`,
					)
					.bind(...key, s.failedAt, s.failedRevision, s.failureClass, s.message),
			)
		} else if (write.span?.kind === 'close') {
			out.push(
				db
					.prepare(
						`UPDATE flux_failures SET recovered_at = ?5, recovered_revision = ?6, recover_ms = MAX(0, ?5 - failed_at)
						 WHERE id = (SELECT id FROM flux_failures WHERE kind = ?1 AND namespace = ?2 AND name = ?3
							AND recovered_at IS NULL ORDER BY failed_at DESC, id DESC LIMIT 1)
							AND ${WON}`,
					)
					.bind(...key, write.span.recoveredAt, write.span.recoveredRevision),
			)
		}
		if (write.revisionKey !== null) {
			// A git revision names the deployment best; an inferred commit has no revision of its own.
			const revision = e.commitInferred ? null : (e.revision?.raw ?? null)
			out.push(
				db
					.prepare(
						`INSERT INTO flux_revisions (revision_key, revision, commit_sha, first_event_at, last_event_at)
						 SELECT ?5, ?6, ?7, ?8, ?8 WHERE ${WON}
						 ON CONFLICT (revision_key) DO UPDATE SET
							revision = CASE WHEN flux_revisions.revision IS NULL OR (flux_revisions.commit_sha IS NOT NULL
								AND flux_revisions.revision NOT LIKE '%' || flux_revisions.commit_sha)
								THEN COALESCE(excluded.revision, flux_revisions.revision) ELSE flux_revisions.revision END,
							commit_sha = COALESCE(flux_revisions.commit_sha, excluded.commit_sha),
							first_event_at = MIN(flux_revisions.first_event_at, excluded.first_event_at),
							last_event_at = MAX(flux_revisions.last_event_at, excluded.last_event_at)`,
					)
					.bind(...key, write.revisionKey, revision, e.commitSha, e.occurredAt),
			)
			const decisive = e.outcome !== 'progress'
			out.push(
				db
					.prepare(
						`INSERT INTO flux_outcomes (revision_key, kind, namespace, name, revision, commit_inferred, outcome,
							failure_class, message, first_event_at, last_event_at, decided_at, succeeded_at, failures, events)
						 SELECT ?5, ?1, ?2, ?3, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12, ?13, ?14, 1 WHERE ${WON}
						 ON CONFLICT (revision_key, kind, namespace, name) DO UPDATE SET
							revision = CASE WHEN excluded.last_event_at >= flux_outcomes.last_event_at
								THEN COALESCE(excluded.revision, flux_outcomes.revision) ELSE flux_outcomes.revision END,
							commit_inferred = MIN(flux_outcomes.commit_inferred, excluded.commit_inferred),
							outcome = CASE WHEN excluded.decided_at IS NOT NULL AND (flux_outcomes.decided_at IS NULL
								OR excluded.decided_at >= flux_outcomes.decided_at) THEN excluded.outcome ELSE flux_outcomes.outcome END,
							failure_class = CASE WHEN excluded.decided_at IS NOT NULL AND (flux_outcomes.decided_at IS NULL
								OR excluded.decided_at >= flux_outcomes.decided_at) THEN excluded.failure_class ELSE flux_outcomes.failure_class END,
							message = CASE WHEN excluded.decided_at IS NOT NULL AND (flux_outcomes.decided_at IS NULL
								OR excluded.decided_at >= flux_outcomes.decided_at) THEN excluded.message ELSE flux_outcomes.message END,
							decided_at = CASE WHEN excluded.decided_at IS NOT NULL AND (flux_outcomes.decided_at IS NULL
								OR excluded.decided_at >= flux_outcomes.decided_at) THEN excluded.decided_at ELSE flux_outcomes.decided_at END,
							first_event_at = MIN(flux_outcomes.first_event_at, excluded.first_event_at),
							last_event_at = MAX(flux_outcomes.last_event_at, excluded.last_event_at),
							succeeded_at = CASE WHEN excluded.succeeded_at IS NULL THEN flux_outcomes.succeeded_at
								WHEN flux_outcomes.succeeded_at IS NULL THEN excluded.succeeded_at
								ELSE MIN(flux_outcomes.succeeded_at, excluded.succeeded_at) END,
							failures = flux_outcomes.failures + excluded.failures,
							events = flux_outcomes.events + 1`,
					)
					.bind(
						...key,
						write.revisionKey,
						e.revision?.raw ?? null,
						e.commitInferred ? 1 : 0,
						decisive ? e.outcome : 'pending',
						e.failureClass,
						e.outcome === 'failure' ? e.message.slice(0, 2000) : null,
						e.occurredAt,
						decisive ? e.occurredAt : null,
						e.outcome === 'success' ? e.occurredAt : null,
						e.outcome === 'failure' ? 1 : 0,
					),
			)
		}
		return out
	}

	async function findEvent(bodyHash: string) {
		const row = await db
			.prepare('SELECT id FROM flux_events WHERE body_hash = ?1')
			.bind(bodyHash)
			.first<{ id: number }>()
		return row ?? undefined
	}

	return {
		findEvent,
		async record(write) {
			const token = crypto.randomUUID()
			let results: D1Result<{ id: number }>[]
			try {
				results = await db.batch<{ id: number }>(statements(write, token))
			} catch (e) {
				// The batch rolled back whole. A unique violation is either a concurrent identical
				// send (duplicate) or a concurrent first event for the same object (retry).
				const message = e instanceof Error ? e.message : String(e)
				if (!/UNIQUE constraint failed/i.test(message)) {
					throw e
				}
				const existing = await findEvent(write.bodyHash)
				if (existing) {
					return { kind: 'duplicate', eventId: existing.id }
				}
				if (/flux_objects/.test(message)) {
					return { kind: 'conflict' }
				}
				throw e
			}
			const id = results[1]?.results[0]?.id
			return id === undefined ? { kind: 'conflict' } : { kind: 'recorded', eventId: id }
		},
	}
}
