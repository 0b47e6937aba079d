/** Cron ticks in D1 (table `cron_ticks`). */
import type { CronLog, CronTick } from '../../domain/ports.ts'

/** D1-backed CronLog. */
export function d1CronLog(db: D1Database): CronLog {
	return {
		async start(tick) {
			const row = await db
				.prepare(
					`INSERT INTO cron_ticks (cron, job, scheduled_at, started_at) VALUES (?1, ?2, ?3, ?4) RETURNING id`,
				)
				.bind(tick.cron, tick.job, tick.scheduledAt, tick.startedAt)
				.first<{ id: number }>()
			if (!row) {
				throw new Error('INSERT INTO cron_ticks returned no row')
			}
			return row.id
		},
		async finish(id, result) {
			await db
				.prepare('UPDATE cron_ticks SET outcome = ?2, detail = ?3, finished_at = ?4 WHERE id = ?1')
				.bind(id, result.outcome, result.detail, result.finishedAt)
				.run()
		},
		async latest() {
			const { results } = await db
				.prepare(
					`SELECT job, cron, started_at, finished_at, outcome, detail FROM cron_ticks
					 WHERE id IN (SELECT MAX(id) FROM cron_ticks GROUP BY job) ORDER BY job`,
				)
				.all<{
					job: string
					cron: string
					started_at: number
					finished_at: number | null
					outcome: CronTick['outcome']
					detail: string | null
				}>()
			return results.map((r) => ({
				job: r.job,
				cron: r.cron,
				startedAt: r.started_at,
				finishedAt: r.finished_at,
				outcome: r.outcome,
				detail: r.detail,
			}))
		},
		async prune(before) {
			const result = await db
				.prepare('DELETE FROM cron_ticks WHERE started_at < ?1')
				.bind(before)
				.run()
			return result.meta.changes
		},
	}
}
