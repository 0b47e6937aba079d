/** Reconcile runs in D1 (table `runs`). */
import type { NewRun, Run, RunOutcome, RunStore } from '../../domain/edge/runs.ts'

export interface RunRow {
	id: number
	trigger: Run['trigger']
	status: Run['status']
	dry_run: number
	force: number
	commit_sha: string | null
	delivery_id: string | null
	attempts: number
	summary: string | null
	plan: string | null
	warnings: string | null
	api_calls: string | null
	error_code: string | null
	error_message: string | null
	queued_at: number
	started_at: number | null
	finished_at: number | null
	duration_ms: number | null
}

/** Maps a row to the domain shape; JSON columns are parsed here and nowhere else. */
export function toRun(row: RunRow): Run {
	return {
		id: row.id,
		trigger: row.trigger,
		status: row.status,
		dryRun: row.dry_run === 1,
		force: row.force === 1,
		commitSha: row.commit_sha,
		deliveryId: row.delivery_id,
		attempts: row.attempts,
		summary: row.summary,
		plan: row.plan === null ? null : JSON.parse(row.plan),
		warnings: row.warnings === null ? [] : (JSON.parse(row.warnings) as string[]),
		apiCalls: row.api_calls === null ? null : JSON.parse(row.api_calls),
		errorCode: row.error_code,
		errorMessage: row.error_message,
		queuedAt: row.queued_at,
		startedAt: row.started_at,
		finishedAt: row.finished_at,
		durationMs: row.duration_ms,
	}
}

/**
 * The statement that queues a run, returning its row. `onlyIf` is a SQL condition (its own values
 * bound from ?6 on); when it is false nothing is inserted. Used to create a run in the same
 * statement or batch as the check that justifies it.
 */
export function insertRun(
	db: D1Database,
	run: NewRun,
	onlyIf = 'TRUE',
	...conditionValues: unknown[]
): D1PreparedStatement {
	return db
		.prepare(
			`INSERT INTO runs (trigger, status, dry_run, force, delivery_id, queued_at)
			 SELECT ?1, 'queued', ?2, ?3, ?4, ?5 WHERE ${onlyIf} RETURNING *`,
		)
		.bind(
			run.trigger,
			run.dryRun ? 1 : 0,
			run.force ? 1 : 0,
			run.deliveryId ?? null,
			run.queuedAt,
			...conditionValues,
		)
}

/** D1-backed RunStore. */
export function d1RunStore(db: D1Database): RunStore {
	return {
		async create(run) {
			const row = await insertRun(db, run).first<RunRow>()
			if (!row) {
				throw new Error('INSERT INTO runs returned no row')
			}
			return toRun(row)
		},
		async get(id) {
			const row = await db.prepare('SELECT * FROM runs WHERE id = ?1').bind(id).first<RunRow>()
			return row ? toRun(row) : undefined
		},
		async list(query) {
			const { results } = await db
				.prepare(
					`SELECT * FROM runs
					 WHERE (?1 IS NULL OR id < ?1) AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR trigger = ?3)
						AND (?4 IS NULL OR commit_sha = ?4)
					 ORDER BY id DESC LIMIT ?5`,
				)
				.bind(
					query.before ?? null,
					query.status ?? null,
					query.trigger ?? null,
					query.commitSha ?? null,
					query.limit,
				)
				.all<RunRow>()
			return results.map(toRun)
		},
		async latestFinished() {
			const row = await db
				.prepare(
					`SELECT * FROM runs WHERE dry_run = 0 AND status NOT IN ('queued', 'running') ORDER BY id DESC LIMIT 1`,
				)
				.first<RunRow>()
			return row ? toRun(row) : undefined
		},
		async createUnlessPending(run, pendingSince) {
			const created = await insertRun(
				db,
				run,
				`NOT EXISTS (SELECT 1 FROM runs WHERE trigger = ?1 AND status IN ('queued', 'running') AND queued_at >= ?6)`,
				pendingSince,
			).first<RunRow>()
			if (created) {
				return { created: toRun(created) }
			}
			const pending = await db
				.prepare(
					`SELECT * FROM runs WHERE trigger = ?1 AND status IN ('queued', 'running') AND queued_at >= ?2
					 ORDER BY id DESC LIMIT 1`,
				)
				.bind(run.trigger, pendingSince)
				.first<RunRow>()
			return { pending: pending ? toRun(pending) : undefined }
		},
		async start(id, at) {
			const row = await db
				.prepare(
					`UPDATE runs SET status = 'running', attempts = attempts + 1, started_at = ?2
					 WHERE id = ?1 RETURNING *`,
				)
				.bind(id, at)
				.first<RunRow>()
			return row ? toRun(row) : undefined
		},
		async finish(id, outcome: RunOutcome) {
			await db
				.prepare(
					`UPDATE runs SET status = ?2,
						commit_sha = COALESCE(?3, commit_sha), summary = ?4, plan = ?5, api_calls = ?6,
						error_code = ?7, error_message = ?8, finished_at = ?9, duration_ms = ?10, warnings = ?11
					 WHERE id = ?1`,
				)
				.bind(
					id,
					outcome.status,
					outcome.commitSha ?? null,
					outcome.summary ?? null,
					outcome.plan === undefined ? null : JSON.stringify(outcome.plan),
					outcome.apiCalls === undefined ? null : JSON.stringify(outcome.apiCalls),
					outcome.errorCode ?? null,
					outcome.errorMessage ?? null,
					outcome.finishedAt ?? null,
					outcome.durationMs ?? null,
					outcome.warnings === undefined ? null : JSON.stringify(outcome.warnings),
				)
				.run()
		},
		async requeue(id, failure) {
			await db
				.prepare(
					`UPDATE runs SET status = 'queued', error_code = ?2, error_message = ?3 WHERE id = ?1`,
				)
				.bind(id, failure.errorCode, failure.errorMessage)
				.run()
		},
		async failLost(queuedBefore, at, message) {
			const { results } = await db
				.prepare(
					`UPDATE runs SET status = 'failed', error_code = 'lost', error_message = ?3, finished_at = ?2
					 WHERE status = 'queued' AND attempts = 0 AND queued_at < ?1 RETURNING id`,
				)
				.bind(queuedBefore, at, message)
				.all<{ id: number }>()
			return results.map((r) => r.id)
		},
	}
}
