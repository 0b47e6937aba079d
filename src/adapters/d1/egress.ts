/**
 * @module Egress checks in D1 (tables `egress_checks`, `egress_samples`, `egress_tracks`,
 * `egress_outages`; migration 0004). A finished check is written in one `batch()`, so a check is
 * recorded whole or not at all. Row sets travel as one JSON parameter expanded by `json_each`:
 * one statement per kind of change, whatever the matrix size (D1 allows 100 bound parameters
 * per statement and counts every statement against the invocation's query budget).
 */
import type {
	EgressCheck,
	EgressCheckStatus,
	EgressOutage,
	EgressSample,
	Observed,
	StoredTrack,
	TrackKind,
	UnknownReason,
} from '../../domain/egress/model.ts'
import type { EgressStore } from '../../domain/egress/ports.ts'
import type { Health } from '../../domain/transitions.ts'

interface CheckRow {
	id: number
	started_at: number
	finished_at: number | null
	status: EgressCheckStatus
	commit_sha: string | null
	targets_from: 'head' | 'previous' | null
	request_id: string | null
	agent_error: string | null
	agent_message: string | null
	duration_ms: number | null
	note: string | null
	targets: string | null
	report: string | null
}

interface SampleRow {
	id: number
	check_id: number
	node: string
	target: string
	at: number
	observed_at: number
	observed: Observed
	unknown_reason: UnknownReason | null
	latency_ms: number | null
	error: string | null
	phase: string | null
	message: string | null
	note: string | null
	detail: string | null
}

interface TrackRow {
	kind: TrackKind
	node: string
	target: string
	state: Health | 'unknown'
	since: number
	candidate: Health | null
	streak: number
	candidate_since: number | null
	last_observed: Observed | null
	last_seen_at: number
}

interface OutageRow {
	id: number
	node: string
	target: string
	started_at: number
	ended_at: number | null
	duration_ms: number | null
	first_error: string | null
	last_error: string | null
	failing_samples: number
	end_reason: string | null
}

const MATRIX_STATUSES = `('ok', 'agent_failed')`
const FINISHED_STATUSES = `('ok', 'agent_failed', 'skipped')`

function toCheck(row: CheckRow): EgressCheck {
	return {
		id: row.id,
		startedAt: row.started_at,
		finishedAt: row.finished_at,
		status: row.status,
		commitSha: row.commit_sha,
		targetsFrom: row.targets_from,
		requestId: row.request_id,
		agentError:
			row.agent_error === null ? null : { code: row.agent_error, message: row.agent_message ?? '' },
		durationMs: row.duration_ms,
		note: row.note,
		report: row.report === null ? null : JSON.parse(row.report),
	}
}

function toSample(row: SampleRow): EgressSample {
	return {
		id: row.id,
		checkId: row.check_id,
		node: row.node,
		target: row.target,
		at: row.at,
		observedAt: row.observed_at,
		observed: row.observed,
		unknownReason: row.unknown_reason,
		latencyMs: row.latency_ms,
		error: row.error,
		phase: row.phase,
		message: row.message,
		note: row.note,
		detail: row.detail === null ? null : JSON.parse(row.detail),
	}
}

function toTrack(row: TrackRow): StoredTrack {
	return {
		kind: row.kind,
		node: row.node,
		target: row.target,
		state: row.state,
		since: row.since,
		candidate: row.candidate,
		streak: row.streak,
		candidateSince: row.candidate_since,
		lastObserved: row.last_observed,
		lastSeenAt: row.last_seen_at,
	}
}

function toOutage(row: OutageRow): EgressOutage {
	return {
		id: row.id,
		node: row.node,
		target: row.target,
		startedAt: row.started_at,
		endedAt: row.ended_at,
		durationMs: row.duration_ms,
		firstError: row.first_error,
		lastError: row.last_error,
		failingSamples: row.failing_samples,
		endReason: row.end_reason,
	}
}

const field = (name: string) => `json_extract(value, '$.${name}')`

/** D1-backed EgressStore. */
export function d1EgressStore(db: D1Database): EgressStore {
	return {
		async begin(at, leaseMs) {
			const [, inserted] = await db.batch<{ id: number }>([
				// A check that never finished (the invocation died) stops holding the lease.
				db
					.prepare(
						`UPDATE egress_checks SET status = 'abandoned' WHERE status = 'running' AND started_at <= ?1`,
					)
					.bind(at - leaseMs),
				db
					.prepare(
						`INSERT INTO egress_checks (started_at, status)
						 SELECT ?1, 'running'
						 WHERE NOT EXISTS (SELECT 1 FROM egress_checks WHERE status = 'running' AND started_at > ?2)
						 RETURNING id`,
					)
					.bind(at, at - leaseMs),
			])
			return inserted?.results[0]?.id
		},

		async tracks() {
			const { results } = await db.prepare('SELECT * FROM egress_tracks').all<TrackRow>()
			return results.map(toTrack)
		},

		async openOutages() {
			const { results } = await db
				.prepare('SELECT * FROM egress_outages WHERE ended_at IS NULL ORDER BY id')
				.all<OutageRow>()
			return results.map(toOutage)
		},

		async lastTargets() {
			const row = await db
				.prepare(
					`SELECT commit_sha, targets FROM egress_checks
					 WHERE targets IS NOT NULL AND targets_from = 'head' ORDER BY id DESC LIMIT 1`,
				)
				.first<{ commit_sha: string | null; targets: string }>()
			return row ? { commitSha: row.commit_sha, plan: JSON.parse(row.targets) } : undefined
		},

		async finish(outcome) {
			const statements: D1PreparedStatement[] = []
			const { tracking } = outcome
			if (outcome.samples.length > 0) {
				statements.push(
					db
						.prepare(
							`INSERT INTO egress_samples (check_id, node, target, at, observed_at, observed,
								unknown_reason, latency_ms, error, phase, message, note, detail)
							 SELECT ?1, ${field('node')}, ${field('target')}, ?2, ${field('observedAt')},
								${field('observed')}, ${field('unknownReason')}, ${field('latencyMs')}, ${field('error')},
								${field('phase')}, ${field('message')}, ${field('note')}, ${field('detail')}
							 FROM json_each(?3)`,
						)
						.bind(outcome.id, outcome.startedAt, JSON.stringify(outcome.samples)),
				)
			}
			if (tracking.deletes.length > 0) {
				statements.push(
					db
						.prepare(
							`DELETE FROM egress_tracks WHERE (kind, node, target) IN
								(SELECT ${field('kind')}, ${field('node')}, ${field('target')} FROM json_each(?1))`,
						)
						.bind(JSON.stringify(tracking.deletes)),
				)
			}
			if (tracking.upserts.length > 0) {
				statements.push(
					db
						.prepare(
							`INSERT INTO egress_tracks (kind, node, target, state, since, candidate, streak,
								candidate_since, last_observed, last_seen_at)
							 SELECT ${field('kind')}, ${field('node')}, ${field('target')}, ${field('state')},
								${field('since')}, ${field('candidate')}, ${field('streak')}, ${field('candidateSince')},
								${field('lastObserved')}, ${field('lastSeenAt')}
							 FROM json_each(?1) WHERE true
							 ON CONFLICT (kind, node, target) DO UPDATE SET state = excluded.state,
								since = excluded.since, candidate = excluded.candidate, streak = excluded.streak,
								candidate_since = excluded.candidate_since, last_observed = excluded.last_observed,
								last_seen_at = excluded.last_seen_at`,
						)
						.bind(JSON.stringify(tracking.upserts)),
				)
			}
			// Closes before opens: at most one window per cell may be open.
			if (tracking.closes.length > 0) {
				statements.push(
					db
						.prepare(
							`UPDATE egress_outages SET ended_at = j.ended, duration_ms = j.ended - started_at,
								end_reason = j.reason
							 FROM (SELECT ${field('id')} AS id, ${field('endedAt')} AS ended, ${field('reason')} AS reason
								FROM json_each(?1)) AS j
							 WHERE egress_outages.id = j.id AND egress_outages.ended_at IS NULL`,
						)
						.bind(JSON.stringify(tracking.closes)),
				)
			}
			if (tracking.touches.length > 0) {
				statements.push(
					db
						.prepare(
							`UPDATE egress_outages SET last_error = j.error, failing_samples = failing_samples + 1
							 FROM (SELECT ${field('id')} AS id, ${field('lastError')} AS error FROM json_each(?1)) AS j
							 WHERE egress_outages.id = j.id`,
						)
						.bind(JSON.stringify(tracking.touches)),
				)
			}
			if (tracking.opens.length > 0) {
				statements.push(
					db
						.prepare(
							`INSERT INTO egress_outages (node, target, started_at, first_error, last_error, failing_samples)
							 SELECT ${field('node')}, ${field('target')}, ${field('startedAt')}, ${field('firstError')},
								${field('firstError')}, ${field('failingSamples')}
							 FROM json_each(?1)`,
						)
						.bind(JSON.stringify(tracking.opens)),
				)
			}
			statements.push(
				db
					.prepare(
						`UPDATE egress_checks SET finished_at = ?2, status = ?3, commit_sha = ?4, targets_from = ?5,
							request_id = ?6, agent_error = ?7, agent_message = ?8, duration_ms = ?9, note = ?10,
							targets = ?11, report = ?12
						 WHERE id = ?1`,
					)
					.bind(
						outcome.id,
						outcome.finishedAt,
						outcome.status,
						outcome.commitSha,
						outcome.targetsFrom,
						outcome.requestId,
						outcome.agentError?.code ?? null,
						outcome.agentError?.message ?? null,
						outcome.durationMs,
						outcome.note,
						outcome.plan === null ? null : JSON.stringify(outcome.plan),
						outcome.report === null ? null : JSON.stringify(outcome.report),
					),
			)
			await db.batch(statements)
		},

		async latestCheck(options = {}) {
			const row = await db
				.prepare(
					`SELECT * FROM egress_checks WHERE status IN ${options.withMatrix ? MATRIX_STATUSES : FINISHED_STATUSES}
					 ORDER BY id DESC LIMIT 1`,
				)
				.first<CheckRow>()
			return row ? toCheck(row) : undefined
		},

		async samples(checkId) {
			const { results } = await db
				.prepare('SELECT * FROM egress_samples WHERE check_id = ?1 ORDER BY id')
				.bind(checkId)
				.all<SampleRow>()
			return results.map(toSample)
		},

		async history(query) {
			const { results } = await db
				.prepare(
					`SELECT * FROM egress_samples WHERE node = ?1 AND target = ?2 AND (?3 IS NULL OR id < ?3)
					 ORDER BY id DESC LIMIT ?4`,
				)
				.bind(query.node, query.target, query.before ?? null, query.limit)
				.all<SampleRow>()
			return results.map(toSample)
		},

		async outages(query) {
			const { results } = await db
				.prepare(
					`SELECT * FROM egress_outages
					 WHERE (?1 IS NULL OR node = ?1) AND (?2 IS NULL OR target = ?2) AND (?3 = 0 OR ended_at IS NULL)
					 ORDER BY id DESC LIMIT ?4`,
				)
				.bind(query.node ?? null, query.target ?? null, query.open ? 1 : 0, query.limit)
				.all<OutageRow>()
			return results.map(toOutage)
		},

		async prune(before) {
			const results = await db.batch([
				db
					.prepare(
						`DELETE FROM egress_samples WHERE check_id IN
							(SELECT id FROM egress_checks WHERE started_at < ?1 AND status != 'running')`,
					)
					.bind(before.checksBefore),
				db
					.prepare(`DELETE FROM egress_checks WHERE started_at < ?1 AND status != 'running'`)
					.bind(before.checksBefore),
				db
					.prepare('DELETE FROM egress_outages WHERE ended_at IS NOT NULL AND ended_at < ?1')
					.bind(before.outagesBefore),
			])
			return results.reduce((sum, r) => sum + (r.meta.changes ?? 0), 0)
		},
	}
}
