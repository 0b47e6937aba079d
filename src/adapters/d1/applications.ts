/** What tidegate wrote, per resource, in D1 (table `applications`): intents, then outcomes. */
import type { ApplicationStore } from '../../domain/edge/ports.ts'
import type { Application } from '../../domain/edge/state.ts'

interface ApplicationRow {
	id: number
	resource: string
	run_id: number
	commit_sha: string | null
	owner: string | null
	document: string
	before_document: string | null
	state: Application['state']
	rollback_of: number | null
	remote_version: number | null
	applied_at: number
}

const COLUMNS = `id, resource, run_id, commit_sha, owner, document, before_document, state, rollback_of,
	remote_version, applied_at`

/** How many unsettled writes newer than the last accepted one are read (more is a stuck writer). */
const UNSETTLED_READ = 20

/** D1-backed ApplicationStore. */
export function d1ApplicationStore(db: D1Database): ApplicationStore {
	return {
		async history(resource) {
			const { results } = await db
				.prepare(
					`SELECT ${COLUMNS} FROM applications WHERE resource = ?1
					 AND id >= COALESCE((SELECT MAX(id) FROM applications WHERE resource = ?1 AND state = 'applied'), 0)
					 ORDER BY id DESC LIMIT ?2`,
				)
				.bind(resource, UNSETTLED_READ + 1)
				.all<ApplicationRow>()
			if (results.length === 0) {
				return undefined
			}
			const rows = results.map(toApplication)
			return {
				latest: rows.find((r) => r.state === 'applied'),
				unsettled: rows.filter((r) => r.state !== 'applied'),
			}
		},
		async begin(intent) {
			const row = await db
				.prepare(
					`INSERT INTO applications (resource, run_id, commit_sha, owner, document, before_document,
					   state, rollback_of, applied_at)
					 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?8) RETURNING id`,
				)
				.bind(
					intent.resource,
					intent.runId,
					intent.commitSha,
					intent.owner,
					JSON.stringify(intent.document),
					JSON.stringify(intent.before ?? null),
					intent.rollbackOf,
					intent.at,
				)
				.first<{ id: number }>()
			if (!row) {
				throw new Error('applications: INSERT … RETURNING gave no row')
			}
			return row.id
		},
		async settle(id, outcome) {
			await db
				.prepare(
					`UPDATE applications SET state = ?2, remote_version = ?3 WHERE id = ?1 AND state = 'pending'`,
				)
				.bind(id, outcome.applied ? 'applied' : 'failed', outcome.remoteVersion)
				.run()
		},
		async rollbackTarget(resource) {
			const { results } = await db
				.prepare(
					`SELECT ${COLUMNS} FROM applications WHERE resource = ?1 AND state = 'applied'
					 ORDER BY id DESC LIMIT 2`,
				)
				.bind(resource)
				.all<ApplicationRow>()
			const [newest, previous] = results.map(toApplication)
			if (newest?.rollbackOf !== null && newest?.rollbackOf !== undefined) {
				const target = await db
					.prepare(`SELECT ${COLUMNS} FROM applications WHERE id = ?1 AND state = 'applied'`)
					.bind(newest.rollbackOf)
					.first<ApplicationRow>()
				if (target) {
					return toApplication(target)
				}
			}
			return previous
		},
		async lastOwner() {
			const row = await db
				.prepare(
					`SELECT owner FROM applications WHERE owner IS NOT NULL AND state = 'applied'
					 ORDER BY id DESC LIMIT 1`,
				)
				.first<{ owner: string }>()
			return row?.owner
		},
	}
}

function toApplication(row: ApplicationRow): Application {
	return {
		id: row.id,
		resource: row.resource,
		runId: row.run_id,
		commitSha: row.commit_sha,
		owner: row.owner,
		document: JSON.parse(row.document) as unknown,
		before: row.before_document === null ? null : (JSON.parse(row.before_document) as unknown),
		state: row.state,
		rollbackOf: row.rollback_of,
		remoteVersion: row.remote_version,
		appliedAt: row.applied_at,
	}
}
