/** Pre-flight results in D1 (table `preflight_results`): one row per checked commit. */

import type { PreflightFinding } from '../../domain/preflight/check.ts'
import type { PreflightResult, PreflightStore } from '../../domain/preflight/ports.ts'

interface PreflightRow {
	commit_sha: string
	delivery_id: string | null
	ref: string | null
	status: PreflightResult['status']
	conflict_count: number
	files_changed: number
	files_checked: number
	cut_off: string | null
	findings: string
	summary: string
	error: string | null
	checked_at: number
}

function toResult(row: PreflightRow): PreflightResult {
	return {
		commitSha: row.commit_sha,
		deliveryId: row.delivery_id,
		ref: row.ref,
		status: row.status,
		conflictCount: row.conflict_count,
		filesChanged: row.files_changed,
		filesChecked: row.files_checked,
		cutOff: row.cut_off,
		findings: JSON.parse(row.findings) as PreflightFinding[],
		summary: row.summary,
		error: row.error,
		checkedAt: row.checked_at,
	}
}

/** D1-backed PreflightStore. */
export function d1PreflightStore(db: D1Database): PreflightStore {
	return {
		async record(result) {
			await db
				.prepare(
					`INSERT INTO preflight_results (commit_sha, delivery_id, ref, status, conflict_count, files_changed,
					   files_checked, cut_off, findings, summary, error, checked_at)
					 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
					 ON CONFLICT (commit_sha) DO UPDATE SET delivery_id = excluded.delivery_id, ref = excluded.ref,
					   status = excluded.status, conflict_count = excluded.conflict_count,
					   files_changed = excluded.files_changed, files_checked = excluded.files_checked,
					   cut_off = excluded.cut_off, findings = excluded.findings, summary = excluded.summary,
					   error = excluded.error, checked_at = excluded.checked_at`,
				)
				.bind(
					result.commitSha,
					result.deliveryId,
					result.ref,
					result.status,
					result.conflictCount,
					result.filesChanged,
					result.filesChecked,
					result.cutOff,
					JSON.stringify(result.findings),
					result.summary,
					result.error,
					result.checkedAt,
				)
				.run()
		},
		async forCommit(commitSha) {
			const row = await db
				.prepare('SELECT * FROM preflight_results WHERE commit_sha = ?1')
				.bind(commitSha.toLowerCase())
				.first<PreflightRow>()
			return row ? toResult(row) : undefined
		},
	}
}
