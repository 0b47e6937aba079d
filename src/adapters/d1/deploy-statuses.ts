/** The last `tidegate/deploy` status of each commit, in D1 (table `deploy_statuses`). */
import type { DeployStatusStore, PostedStatus } from '../../domain/github/ports.ts'

/** Records older than this are pruned as new ones are written (Flux has long moved on by then). */
const RETENTION_MS = 90 * 24 * 60 * 60 * 1000
const PRUNE_LIMIT = 500

/** D1-backed DeployStatusStore. */
export function d1DeployStatuses(db: D1Database): DeployStatusStore {
	return {
		async get(commitSha) {
			const row = await db
				.prepare('SELECT state, description FROM deploy_statuses WHERE commit_sha = ?1')
				.bind(commitSha)
				.first<PostedStatus>()
			return row ? { state: row.state, description: row.description } : undefined
		},
		async record(commitSha, status, at) {
			await db.batch([
				db
					.prepare(
						`INSERT INTO deploy_statuses (commit_sha, state, description, posted_at)
						 VALUES (?1, ?2, ?3, ?4)
						 ON CONFLICT (commit_sha) DO UPDATE SET state = excluded.state,
						   description = excluded.description, posted_at = excluded.posted_at`,
					)
					.bind(commitSha, status.state, status.description, at),
				db
					.prepare(
						`DELETE FROM deploy_statuses WHERE rowid IN
						   (SELECT rowid FROM deploy_statuses WHERE posted_at < ?1 LIMIT ?2)`,
					)
					.bind(at - RETENTION_MS, PRUNE_LIMIT),
			])
		},
	}
}
