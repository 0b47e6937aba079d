/**
 * @module The Flux ledger's queries in D1: objects, events, deployments and outcome counts, as the
 * API, the dashboard and the deploy status read them.
 */
import { type FailureClass, isFailureClass } from '../../domain/flux/classify.ts'
import { type FluxOutcome, parseRevision } from '../../domain/flux/event.ts'
import type { FluxFailureSpan, FluxObjectState } from '../../domain/flux/ledger.ts'
import type {
	FluxDeploymentObject,
	FluxDeploymentRecord,
	FluxEventRecord,
	FluxLedgerStore,
	ObjectFilter,
} from '../../domain/flux/ports.ts'
import type { Track } from '../../domain/transitions.ts'

interface ObjectRow {
	kind: string
	namespace: string
	name: string
	state: FluxObjectState['state']
	state_at: number | null
	track: string
	last_event_at: number
	last_revision: string | null
	last_commit: string | null
	last_reason: string
	last_message: string
	failure_class: string | null
	failing_since: number | null
	last_good_revision: string | null
	last_good_commit: string | null
	last_good_at: number | null
	events: number
	version: number
}

interface EventRow {
	id: number
	kind: string
	namespace: string
	name: string
	uid: string | null
	api_version: string | null
	severity: string
	reason: string
	message: string
	reporting_controller: string
	reporting_instance: string | null
	revision: string | null
	commit_sha: string | null
	commit_inferred: number
	revision_key: string | null
	outcome: FluxOutcome
	failure_class: string | null
	occurred_at: number
	received_at: number
	stale: number
	metadata: string
}

interface FailureRow {
	kind: string
	namespace: string
	name: string
	failed_at: number
	failed_revision: string | null
	failure_class: string
	message: string
	recovered_at: number | null
	recovered_revision: string | null
	recover_ms: number | null
}

interface RevisionRow {
	id: number
	revision_key: string
	revision: string | null
	commit_sha: string | null
	first_event_at: number
	last_event_at: number
	pushed_at: number | null
}

interface OutcomeRow {
	revision_key: string
	kind: string
	namespace: string
	name: string
	revision: string | null
	commit_inferred: number
	outcome: FluxDeploymentObject['outcome']
	failure_class: string | null
	message: string | null
	first_event_at: number
	last_event_at: number
	decided_at: number | null
	succeeded_at: number | null
	failures: number
	events: number
}

const failureClass = (value: string | null): FailureClass | null =>
	value === null ? null : isFailureClass(value) ? value : 'other'

function toObject(row: ObjectRow): FluxObjectState {
	return {
		ref: { kind: row.kind, namespace: row.namespace, name: row.name },
		state: row.state,
		stateAt: row.state_at,
		track: JSON.parse(row.track) as Track,
		lastEventAt: row.last_event_at,
		lastRevision: row.last_revision,
		lastCommit: row.last_commit,
		lastReason: row.last_reason,
		lastMessage: row.last_message,
		failureClass: failureClass(row.failure_class),
		failingSince: row.failing_since,
		lastGoodRevision: row.last_good_revision,
		lastGoodCommit: row.last_good_commit,
		lastGoodAt: row.last_good_at,
		events: row.events,
		version: row.version,
	}
}

function toEvent(row: EventRow): FluxEventRecord {
	return {
		id: row.id,
		object: {
			kind: row.kind,
			namespace: row.namespace,
			name: row.name,
			uid: row.uid,
			apiVersion: row.api_version,
		},
		severity: row.severity,
		reason: row.reason,
		message: row.message,
		reportingController: row.reporting_controller,
		reportingInstance: row.reporting_instance,
		metadata: JSON.parse(row.metadata) as Record<string, string>,
		revision: row.revision === null ? null : parseRevision(row.revision),
		commitSha: row.commit_sha,
		commitInferred: row.commit_inferred === 1,
		outcome: row.outcome,
		failureClass: failureClass(row.failure_class),
		occurredAt: row.occurred_at,
		receivedAt: row.received_at,
		revisionKey: row.revision_key,
		stale: row.stale === 1,
	}
}

function toSpan(row: FailureRow): FluxFailureSpan {
	return {
		ref: { kind: row.kind, namespace: row.namespace, name: row.name },
		failedAt: row.failed_at,
		failedRevision: row.failed_revision,
		failureClass: failureClass(row.failure_class) ?? 'other',
		message: row.message,
		recoveredAt: row.recovered_at,
		recoveredRevision: row.recovered_revision,
		recoverMs: row.recover_ms,
	}
}

function toOutcome(row: OutcomeRow): FluxDeploymentObject {
	return {
		ref: { kind: row.kind, namespace: row.namespace, name: row.name },
		revision: row.revision,
		commitInferred: row.commit_inferred === 1,
		outcome: row.outcome,
		failureClass: failureClass(row.failure_class),
		message: row.message,
		firstEventAt: row.first_event_at,
		lastEventAt: row.last_event_at,
		decidedAt: row.decided_at,
		succeededAt: row.succeeded_at,
		failures: row.failures,
		events: row.events,
	}
}

/** `AND` clauses for an object filter over a table alias; pushes the bound values. */
function objectClause(alias: string, filter: ObjectFilter, binds: unknown[]): string {
	let sql = ` AND ${alias}.name = ?`
	binds.push(filter.name)
	if (filter.namespace !== undefined) {
		sql += ` AND ${alias}.namespace = ?`
		binds.push(filter.namespace)
	}
	if (filter.kind !== undefined) {
		sql += ` AND ${alias}.kind = ?`
		binds.push(filter.kind)
	}
	return sql
}

const COMMIT_PREFIX = /^[0-9a-f]{7,40}$/

/** The reads of the D1-backed FluxLedgerStore. */
export function d1FluxLedgerQueries(db: D1Database): Omit<FluxLedgerStore, 'findEvent' | 'record'> {
	return {
		async getObject(ref) {
			const row = await db
				.prepare('SELECT * FROM flux_objects WHERE kind = ?1 AND namespace = ?2 AND name = ?3')
				.bind(ref.kind, ref.namespace, ref.name)
				.first<ObjectRow>()
			return row ? toObject(row) : undefined
		},
		async latestKustomizationCommit(at) {
			const row = await db
				.prepare(
					`SELECT commit_sha FROM flux_events
					 WHERE kind = 'Kustomization' AND commit_sha IS NOT NULL AND commit_inferred = 0 AND occurred_at <= ?1
						AND outcome IN ('success', 'progress')
					 ORDER BY occurred_at DESC, id DESC LIMIT 1`,
				)
				.bind(at)
				.first<{ commit_sha: string }>()
			return row?.commit_sha
		},
		async listEvents(q) {
			const binds: unknown[] = []
			let sql = 'SELECT * FROM flux_events e WHERE 1 = 1'
			const add = (clause: string, value: unknown) => {
				sql += ` AND ${clause}`
				binds.push(value)
			}
			if (q.before !== undefined) {
				add('e.id < ?', q.before)
			}
			if (q.kind !== undefined) {
				add('e.kind = ?', q.kind)
			}
			if (q.namespace !== undefined) {
				add('e.namespace = ?', q.namespace)
			}
			if (q.name !== undefined) {
				add('e.name = ?', q.name)
			}
			if (q.severity !== undefined) {
				add('e.severity = ?', q.severity)
			}
			if (q.failureClass !== undefined) {
				add('e.failure_class = ?', q.failureClass)
			}
			if (q.outcome !== undefined) {
				add('e.outcome = ?', q.outcome)
			}
			if (q.revision !== undefined) {
				if (COMMIT_PREFIX.test(q.revision)) {
					sql += ` AND (e.revision = ? OR e.commit_sha LIKE ? || '%')`
					binds.push(q.revision, q.revision)
				} else {
					add('e.revision = ?', q.revision)
				}
			}
			sql += ' ORDER BY e.id DESC LIMIT ?'
			binds.push(q.limit)
			const { results } = await db
				.prepare(sql)
				.bind(...binds)
				.all<EventRow>()
			return results.map(toEvent)
		},
		async listDeployments(q) {
			const binds: unknown[] = [`refs/heads/${q.branch}`]
			// The push that carried the commit: the first one to the tracked branch, else the first at all
			// (a commit pushed to a branch and fast-forwarded into the tracked one keeps its sha).
			let sql = `SELECT r.*, COALESCE(
					(SELECT MIN(d.received_at) FROM github_deliveries d WHERE d.after_sha = r.commit_sha AND d.event = 'push' AND d.ref = ?),
					(SELECT MIN(d.received_at) FROM github_deliveries d WHERE d.after_sha = r.commit_sha AND d.event = 'push')
				) AS pushed_at
				FROM flux_revisions r WHERE 1 = 1`
			if (q.before !== undefined) {
				sql += ' AND r.id < ?'
				binds.push(q.before)
			}
			if (q.commit !== undefined) {
				sql += ` AND (r.revision_key = ? OR r.commit_sha LIKE ? || '%')`
				binds.push(q.commit, q.commit)
			}
			const outcomeIn = (condition: string, extra = '') =>
				`EXISTS (SELECT 1 FROM flux_outcomes o WHERE o.revision_key = r.revision_key AND ${condition}${extra})`
			if (q.object) {
				const objectBinds: unknown[] = []
				const clause = objectClause('o', q.object, objectBinds)
				// With an object, the status filter is that object's outcome at the revision.
				const wanted = { succeeded: 'success', failed: 'failure', in_progress: 'pending' }
				const condition = q.status ? `o.outcome = '${wanted[q.status]}'` : '1 = 1'
				sql += ` AND ${outcomeIn(condition, clause)}`
				binds.push(...objectBinds)
			} else if (q.status === 'failed') {
				sql += ` AND ${outcomeIn("o.outcome = 'failure'")}`
			} else if (q.status === 'succeeded') {
				sql += ` AND ${outcomeIn("o.outcome = 'success'")} AND NOT ${outcomeIn("o.outcome != 'success'")}`
			} else if (q.status === 'in_progress') {
				sql += ` AND NOT ${outcomeIn("o.outcome = 'failure'")} AND ${outcomeIn("o.outcome = 'pending'")}`
			}
			sql += ' ORDER BY r.id DESC LIMIT ?'
			binds.push(q.limit)
			const { results: revisions } = await db
				.prepare(sql)
				.bind(...binds)
				.all<RevisionRow>()
			if (revisions.length === 0) {
				return []
			}
			const { results: outcomes } = await db
				.prepare(
					`SELECT * FROM flux_outcomes WHERE revision_key IN (SELECT value FROM json_each(?1))
					 ORDER BY kind, namespace, name`,
				)
				.bind(JSON.stringify(revisions.map((r) => r.revision_key)))
				.all<OutcomeRow>()
			const byKey = new Map<string, FluxDeploymentObject[]>()
			for (const row of outcomes) {
				const list = byKey.get(row.revision_key) ?? []
				list.push(toOutcome(row))
				byKey.set(row.revision_key, list)
			}
			return revisions.map(
				(r): FluxDeploymentRecord => ({
					id: r.id,
					revisionKey: r.revision_key,
					revision: r.revision,
					commitSha: r.commit_sha,
					firstEventAt: r.first_event_at,
					lastEventAt: r.last_event_at,
					pushedAt: r.pushed_at,
					objects: byKey.get(r.revision_key) ?? [],
				}),
			)
		},
		async listObjects(q) {
			const binds: unknown[] = []
			let sql = 'SELECT * FROM flux_objects o WHERE 1 = 1'
			for (const [column, value] of [
				['kind', q.kind],
				['namespace', q.namespace],
				['name', q.name],
				['state', q.state],
			] as const) {
				if (value !== undefined) {
					sql += ` AND o.${column} = ?`
					binds.push(value)
				}
			}
			sql += " ORDER BY o.state = 'failing' DESC, o.kind, o.namespace, o.name LIMIT ?"
			binds.push(q.limit)
			const { results } = await db
				.prepare(sql)
				.bind(...binds)
				.all<ObjectRow>()
			if (results.length === 0) {
				return []
			}
			const keys = results.map((r) => [r.kind, r.namespace, r.name])
			const { results: spans } = await db
				.prepare(
					`SELECT * FROM (
						SELECT f.*, ROW_NUMBER() OVER (PARTITION BY f.kind, f.namespace, f.name ORDER BY f.failed_at DESC, f.id DESC) AS n
						FROM flux_failures f JOIN json_each(?1) k
							ON f.kind = json_extract(k.value, '$[0]') AND f.namespace = json_extract(k.value, '$[1]')
							AND f.name = json_extract(k.value, '$[2]')
					) WHERE n <= 10 ORDER BY failed_at DESC`,
				)
				.bind(JSON.stringify(keys))
				.all<FailureRow>()
			return results.map((row) => ({
				...toObject(row),
				recentFailures: spans
					.filter(
						(s) => s.kind === row.kind && s.namespace === row.namespace && s.name === row.name,
					)
					.map(toSpan),
			}))
		},
		async dailyOutcomes(since) {
			const { results } = await db
				.prepare(
					`SELECT (decided_at / 86400000) * 86400000 AS day, SUM(outcome = 'success') AS successes,
						SUM(outcome = 'failure') AS failures
					 FROM flux_outcomes WHERE decided_at >= ?1 AND outcome IN ('success', 'failure')
					 GROUP BY day ORDER BY day`,
				)
				.bind(since)
				.all<{ day: number; successes: number; failures: number }>()
			return results
		},
		async outcomeCounts(since, object) {
			const binds: unknown[] = [since]
			let sql = `SELECT o.kind, o.namespace, o.name, SUM(o.outcome = 'success') AS successes,
					SUM(o.outcome = 'failure') AS failures
				FROM flux_outcomes o WHERE o.decided_at >= ? AND o.outcome IN ('success', 'failure')`
			if (object) {
				sql += objectClause('o', object, binds)
			}
			sql += ' GROUP BY o.kind, o.namespace, o.name ORDER BY o.kind, o.namespace, o.name'
			const { results } = await db
				.prepare(sql)
				.bind(...binds)
				.all<{
					kind: string
					namespace: string
					name: string
					successes: number
					failures: number
				}>()
			return results.map((r) => ({
				ref: { kind: r.kind, namespace: r.namespace, name: r.name },
				successes: r.successes,
				failures: r.failures,
			}))
		},
	}
}
