/** What tidegate applied, per resource, in D1 (table `applications`). */

import type { ApplicationStore } from '../../domain/edge/ports.ts'
import type { AppliedSplitTunnel, AppliedTunnel } from '../../domain/edge/state.ts'

interface ApplicationRow {
	document: string
	commit_sha: string | null
	remote_version: number | null
	run_id: number
}

/** D1-backed ApplicationStore. Documents are stored as PUT (tunnel) or as owned entries (split tunnel). */
export function d1ApplicationStore(db: D1Database): ApplicationStore {
	const nth = (resource: string, offset: number) =>
		db
			.prepare(
				`SELECT document, commit_sha, remote_version, run_id FROM applications WHERE resource = ?1
				 ORDER BY id DESC LIMIT 1 OFFSET ?2`,
			)
			.bind(resource, offset)
			.first<ApplicationRow>()
	const latest = (resource: string) => nth(resource, 0)
	return {
		async latestTunnel(resource) {
			const row = await latest(resource)
			if (!row) {
				return undefined
			}
			const document = JSON.parse(row.document) as Omit<AppliedTunnel, 'version' | 'commitSha'>
			return { ...document, version: row.remote_version, commitSha: row.commit_sha }
		},
		async latestSplitTunnel(resource) {
			const row = await latest(resource)
			if (!row) {
				return undefined
			}
			const document = JSON.parse(row.document) as Pick<AppliedSplitTunnel, 'entries'>
			return { entries: document.entries, commitSha: row.commit_sha }
		},
		async previousTunnel(resource) {
			const row = await nth(resource, 1)
			if (!row) {
				return undefined
			}
			const document = JSON.parse(row.document) as Omit<AppliedTunnel, 'version' | 'commitSha'>
			return {
				...document,
				version: row.remote_version,
				commitSha: row.commit_sha,
				runId: row.run_id,
			}
		},
		async previousSplitTunnel(resource) {
			const row = await nth(resource, 1)
			if (!row) {
				return undefined
			}
			const document = JSON.parse(row.document) as Pick<AppliedSplitTunnel, 'entries'>
			return { entries: document.entries, commitSha: row.commit_sha, runId: row.run_id }
		},
		async record(application) {
			await db
				.prepare(
					`INSERT INTO applications (resource, run_id, commit_sha, document, remote_version, applied_at)
					 VALUES (?1, ?2, ?3, ?4, ?5, ?6)`,
				)
				.bind(
					application.resource,
					application.runId,
					application.commitSha,
					JSON.stringify(application.document),
					application.remoteVersion,
					application.appliedAt,
				)
				.run()
		},
	}
}
