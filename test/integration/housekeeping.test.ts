/**
 * The daily housekeeping cron (`17 3 * * *`) in workerd with the real migrations: old bookkeeping
 * goes, and everything still in use stays — the newest runs the status reads, unfinished runs,
 * runs an application or a delivery refers to, each resource's recent applications, and the Flux
 * event commit inference reads.
 */
import { createExecutionContext, createScheduledController } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import worker from '../../workers/index.ts'

const DAY = 24 * 60 * 60 * 1000
const now = Date.now()
const OLD = now - 100 * DAY
const FRESH = now - DAY

async function run(status: string, queuedAt: number): Promise<number> {
	const row = await env.DB.prepare(
		"INSERT INTO runs (trigger, status, plan, queued_at, finished_at) VALUES ('drift', ?1, '{}', ?2, ?2) RETURNING id",
	)
		.bind(status, queuedAt)
		.first<{ id: number }>()
	return row?.id ?? -1
}

async function application(resource: string, runId: number, appliedAt: number): Promise<void> {
	await env.DB.prepare(
		"INSERT INTO applications (resource, run_id, document, applied_at) VALUES (?1, ?2, '{}', ?3)",
	)
		.bind(resource, runId, appliedAt)
		.run()
}

async function delivery(id: string, runId: number | null, receivedAt: number): Promise<void> {
	await env.DB.prepare(
		"INSERT INTO github_deliveries (delivery_id, event, status, run_id, received_at) VALUES (?1, 'push', 'queued', ?2, ?3)",
	)
		.bind(id, runId, receivedAt)
		.run()
}

async function fluxEvent(
	hash: string,
	kind: string,
	commit: string | null,
	occurredAt: number,
): Promise<void> {
	await env.DB.prepare(
		`INSERT INTO flux_events (body_hash, kind, namespace, name, severity, reason, message, reporting_controller,
			commit_sha, outcome, occurred_at, received_at, metadata, body)
		 VALUES (?1, ?2, 'flux-system', 'apps', 'info', 'ReconciliationSucceeded', 'ok', 'kustomize-controller',
			?3, 'success', ?4, ?4, '{}', '{}')`,
	)
		.bind(hash, kind, commit, occurredAt)
		.run()
}

async function ids(sql: string): Promise<unknown[]> {
	return (await env.DB.prepare(sql).raw()).map((r) => r[0])
}

async function housekeeping(): Promise<string | null> {
	await worker.scheduled(
		createScheduledController({ cron: '17 3 * * *', scheduledTime: now }),
		env,
		createExecutionContext(),
	)
	const tick = await env.DB.prepare(
		"SELECT outcome, detail FROM cron_ticks WHERE job = 'housekeeping' ORDER BY id DESC LIMIT 1",
	).first<{ outcome: string; detail: string }>()
	expect(tick?.outcome).toBe('ok')
	return tick?.detail ?? null
}

beforeEach(async () => {
	for (const table of [
		'applications',
		'github_deliveries',
		'redelivery_requests',
		'receiver_notifications',
		'preflight_results',
		'flux_events',
		'cron_ticks',
		'runs',
	]) {
		await env.DB.prepare(`DELETE FROM ${table}`).run()
	}
})

describe('housekeeping', () => {
	it('prunes bookkeeping older than 90 days and keeps what is still in use', async () => {
		const old: number[] = []
		for (let i = 0; i < 30; i++) {
			old.push(await run('in_sync', OLD))
		}
		const applied = await run('applied', OLD)
		const linked = await run('applied', OLD)
		const stillQueued = await run('queued', OLD)
		const recent: number[] = []
		for (let i = 0; i < 25; i++) {
			recent.push(await run('in_sync', FRESH))
		}
		// 22 old applications of one resource: the newest 20 stay (rollback history).
		for (let i = 0; i < 22; i++) {
			await application('tunnel:main', applied, OLD + i)
		}
		// The only application of another resource stays however old: it is the last applied state.
		await application('split-tunnel:default', applied, OLD)
		// Old deliveries point at old runs: they go first, so the runs can go too.
		for (const [i, runId] of old.slice(0, 3).entries()) {
			await delivery(`old-${i}`, runId, OLD)
		}
		await delivery('fresh', linked, FRESH)
		for (const at of [OLD, FRESH]) {
			await env.DB.batch([
				env.DB.prepare(
					"INSERT INTO redelivery_requests (guid, attempt_id, requested_at, outcome) VALUES (?1, 1, ?2, 'requested')",
				).bind(`guid-${at}`, at),
				env.DB.prepare(
					"INSERT INTO receiver_notifications (delivery_id, commit_sha, status, updated_at) VALUES (?1, 'abc', 'sent', ?2)",
				).bind(`notice-${at}`, at),
				env.DB.prepare(
					"INSERT INTO preflight_results (commit_sha, status, summary, checked_at) VALUES (?1, 'clean', 'ok', ?2)",
				).bind(`sha-${at}`, at),
			])
		}

		// Old Flux events go, except the newest Kustomization commit: HelmRelease events infer theirs from it.
		await fluxEvent('old-helm', 'HelmRelease', null, OLD)
		await fluxEvent('older-commit', 'Kustomization', 'a'.repeat(40), OLD)
		await fluxEvent('anchor', 'Kustomization', 'b'.repeat(40), OLD + 1)
		await fluxEvent('fresh', 'HelmRelease', null, FRESH)

		expect(await housekeeping()).toBe(
			'pruned 0 cron ticks, 3 deliveries, 1 redeliveryRequests, 1 receiverNotifications, 1 preflightResults, 2 fluxEvents, 2 applications, 30 runs',
		)
		expect(await ids('SELECT id FROM runs ORDER BY id')).toEqual([
			applied,
			linked,
			stillQueued,
			...recent,
		])
		expect(
			await ids("SELECT applied_at FROM applications WHERE resource = 'tunnel:main' ORDER BY id"),
		).toEqual(Array.from({ length: 20 }, (_, i) => OLD + 2 + i))
		expect(
			await ids("SELECT COUNT(*) FROM applications WHERE resource = 'split-tunnel:default'"),
		).toEqual([1])
		expect(await ids('SELECT delivery_id FROM github_deliveries')).toEqual(['fresh'])
		expect(await ids('SELECT guid FROM redelivery_requests')).toEqual([`guid-${FRESH}`])
		expect(await ids('SELECT delivery_id FROM receiver_notifications')).toEqual([`notice-${FRESH}`])
		expect(await ids('SELECT commit_sha FROM preflight_results')).toEqual([`sha-${FRESH}`])
		expect(await ids('SELECT body_hash FROM flux_events ORDER BY id')).toEqual(['anchor', 'fresh'])
	})

	it('keeps the newest 25 runs whatever their age, so the status still has a last run', async () => {
		for (let i = 0; i < 30; i++) {
			await run('in_sync', OLD)
		}
		expect(await housekeeping()).toMatch(/, 5 runs$/)
		expect(await ids('SELECT COUNT(*) FROM runs')).toEqual([25])
	})
})
