/** Pull-request checks and merges in D1 (tables `pull_request_checks`, `pull_request_merges`). */
import type {
	CheckVerdict,
	PullRequestCheck,
	PullRequestCheckStore,
} from '../../domain/github/ports.ts'
import type { PreflightFinding } from '../../domain/preflight/check.ts'

/** Checks and merges older than this are pruned when a new check is recorded. */
export const PULL_REQUEST_RETENTION_MS = 90 * 24 * 60 * 60 * 1000
/** At most this many old rows go per recorded check, so one write stays short. */
const PRUNE_LIMIT = 500

interface CheckRow {
	pr_number: number
	head_sha: string
	head_repository: string | null
	base_ref: string
	delivery_id: string
	edge_state: CheckVerdict['state']
	edge_summary: string
	plan_text: string | null
	plan_fingerprint: string | null
	warnings: string
	preflight_state: CheckVerdict['state']
	preflight_summary: string
	findings: string
	preflight_cut_off: string | null
	comment_id: number | null
	checked_at: number
}

function toCheck(row: CheckRow): PullRequestCheck {
	return {
		number: row.pr_number,
		headSha: row.head_sha,
		headRepository: row.head_repository,
		baseRef: row.base_ref,
		deliveryId: row.delivery_id,
		edge: { state: row.edge_state, summary: row.edge_summary },
		planText: row.plan_text,
		planFingerprint: row.plan_fingerprint,
		warnings: JSON.parse(row.warnings) as string[],
		preflight: { state: row.preflight_state, summary: row.preflight_summary },
		findings: JSON.parse(row.findings) as PreflightFinding[],
		preflightCutOff: row.preflight_cut_off,
		commentId: row.comment_id,
		checkedAt: row.checked_at,
	}
}

/** D1-backed PullRequestCheckStore. */
export function d1PullRequestChecks(db: D1Database): PullRequestCheckStore {
	return {
		async record(check) {
			const before = check.checkedAt - PULL_REQUEST_RETENTION_MS
			await db.batch([
				db
					.prepare(
						`INSERT INTO pull_request_checks (pr_number, head_sha, head_repository, base_ref, delivery_id,
						   edge_state, edge_summary, plan_text, plan_fingerprint, warnings, preflight_state,
						   preflight_summary, findings, preflight_cut_off, comment_id, checked_at)
						 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
						 ON CONFLICT (pr_number, head_sha) DO UPDATE SET head_repository = excluded.head_repository,
						   base_ref = excluded.base_ref, delivery_id = excluded.delivery_id,
						   edge_state = excluded.edge_state, edge_summary = excluded.edge_summary,
						   plan_text = excluded.plan_text, plan_fingerprint = excluded.plan_fingerprint,
						   warnings = excluded.warnings, preflight_state = excluded.preflight_state,
						   preflight_summary = excluded.preflight_summary, findings = excluded.findings,
						   preflight_cut_off = excluded.preflight_cut_off,
						   comment_id = COALESCE(excluded.comment_id, pull_request_checks.comment_id),
						   checked_at = excluded.checked_at`,
					)
					.bind(
						check.number,
						check.headSha,
						check.headRepository,
						check.baseRef,
						check.deliveryId,
						check.edge.state,
						check.edge.summary,
						check.planText,
						check.planFingerprint,
						JSON.stringify(check.warnings),
						check.preflight.state,
						check.preflight.summary,
						JSON.stringify(check.findings),
						check.preflightCutOff,
						check.commentId,
						check.checkedAt,
					),
				db
					.prepare(
						`DELETE FROM pull_request_checks WHERE rowid IN
						   (SELECT rowid FROM pull_request_checks WHERE checked_at < ?1 LIMIT ?2)`,
					)
					.bind(before, PRUNE_LIMIT),
				db
					.prepare(
						`DELETE FROM pull_request_merges WHERE rowid IN
						   (SELECT rowid FROM pull_request_merges WHERE merged_at < ?1 LIMIT ?2)`,
					)
					.bind(before, PRUNE_LIMIT),
			])
		},
		async find(number, headSha) {
			const row = await db
				.prepare('SELECT * FROM pull_request_checks WHERE pr_number = ?1 AND head_sha = ?2')
				.bind(number, headSha)
				.first<CheckRow>()
			return row ? toCheck(row) : undefined
		},
		async commentId(number) {
			const row = await db
				.prepare(
					`SELECT comment_id FROM pull_request_checks
					 WHERE pr_number = ?1 AND comment_id IS NOT NULL ORDER BY checked_at DESC LIMIT 1`,
				)
				.bind(number)
				.first<{ comment_id: number }>()
			return row?.comment_id ?? null
		},
		async setCommentId(number, headSha, commentId) {
			await db
				.prepare(
					'UPDATE pull_request_checks SET comment_id = ?3 WHERE pr_number = ?1 AND head_sha = ?2',
				)
				.bind(number, headSha, commentId)
				.run()
		},
		async recordMerge(merge) {
			await db
				.prepare(
					`INSERT INTO pull_request_merges (merge_commit_sha, pr_number, head_sha, merged_at)
					 VALUES (?1, ?2, ?3, ?4)
					 ON CONFLICT (merge_commit_sha) DO UPDATE SET pr_number = excluded.pr_number,
					   head_sha = excluded.head_sha, merged_at = excluded.merged_at`,
				)
				.bind(merge.mergeCommitSha, merge.number, merge.headSha, merge.mergedAt)
				.run()
		},
		async forMergeCommit(mergeCommitSha) {
			const row = await db
				.prepare(
					`SELECT c.* FROM pull_request_merges m
					 JOIN pull_request_checks c ON c.pr_number = m.pr_number AND c.head_sha = m.head_sha
					 WHERE m.merge_commit_sha = ?1`,
				)
				.bind(mergeCommitSha)
				.first<CheckRow>()
			return row ? toCheck(row) : undefined
		},
	}
}
