import {
	createExecutionContext,
	createMessageBatch,
	createScheduledController,
	getQueueResult,
} from 'cloudflare:test'
import { env, exports } from 'cloudflare:workers'
import { describe, expect, it, vi } from 'vitest'
import { failLostRuns } from '../../src/app/edge/lost-runs.ts'
import { raiseAlert } from '../../src/app/ops/alerts.ts'
import { buildDeps } from '../../workers/deps.ts'
import worker from '../../workers/index.ts'

describe('the Worker skeleton', () => {
	it('answers /healthz with the version and the names of missing configuration only', async () => {
		const res = await exports.default.fetch('https://tidegate.test/healthz')
		expect(res.status).toBe(200)
		const body = await res.json<{ status: string; version: string; missingConfig: string[] }>()
		expect(body.status).toBe('ok')
		expect(body.version).toMatch(/^\d+\.\d+\.\d+/)
		expect(body.missingConfig).toEqual([])
		expect(JSON.stringify(body)).not.toContain('test-admin-token-0123456789abcdef')
	})

	it('names an optional feature that is off in /healthz, and logs each alert it drops', async () => {
		// What `wrangler dev` does to an optional secret set in .dev.vars: the Worker never sees it.
		const withoutAlerts = { ...env, ALERT_WEBHOOK_URL: '' }
		const res = await worker.fetch(
			new Request('https://tidegate.test/healthz'),
			withoutAlerts,
			createExecutionContext(),
		)
		expect(await res.json()).toMatchObject({ missingConfig: [], off: ['ALERT_WEBHOOK_URL'] })
		const warnings: string[] = []
		const spy = vi.spyOn(console, 'warn').mockImplementation((line: string) => {
			warnings.push(line)
		})
		try {
			await raiseAlert(buildDeps(withoutAlerts), 'edge', 'the plan was refused')
		} finally {
			spy.mockRestore()
		}
		expect(warnings.map((w) => JSON.parse(w))).toContainEqual({
			level: 'warn',
			event: 'alert.dropped',
			source: 'edge',
			reason: 'ALERT_WEBHOOK_URL is not set',
			text: 'the plan was refused',
		})
		const configured = await exports.default.fetch('https://tidegate.test/healthz')
		expect(await configured.json()).toMatchObject({ off: [] })
	})

	it('answers unknown routes with a 404 JSON error envelope', async () => {
		const res = await exports.default.fetch('https://tidegate.test/nope')
		expect(res.status).toBe(404)
		expect(res.headers.get('content-type')).toContain('application/json')
		expect(await res.json()).toEqual({
			error: {
				code: 'not_found',
				message: 'no route for GET /nope',
				requestId: expect.any(String),
			},
		})
	})

	it('has the migrations applied to D1', async () => {
		const { results } = await env.DB.prepare(
			"SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
		).all<{ name: string }>()
		const names = results.map((r) => r.name)
		expect(names).toEqual(
			expect.arrayContaining(['runs', 'applications', 'cron_ticks', 'settings', 'dead_letters']),
		)
	})

	it('runs the drift, delivery-repair and lost-run jobs on the five-minute cron tick and records each', async () => {
		const controller = createScheduledController({ cron: '*/5 * * * *', scheduledTime: Date.now() })
		await worker.scheduled(controller, env, createExecutionContext())
		const { results } = await env.DB.prepare(
			'SELECT job, outcome, detail FROM cron_ticks ORDER BY id',
		).all()
		expect(results).toEqual([
			expect.objectContaining({
				job: 'drift',
				outcome: 'ok',
				detail: expect.stringMatching(/^queued run \d+$/),
			}),
			expect.objectContaining({
				job: 'deliveries',
				outcome: 'skipped',
				detail: expect.stringMatching(/hook id is unknown/),
			}),
			expect.objectContaining({ job: 'lost-runs', outcome: 'ok', detail: 'no lost runs' }),
		])
		const run = await env.DB.prepare('SELECT trigger FROM runs ORDER BY id DESC LIMIT 1').first()
		expect(run).toEqual({ trigger: 'drift' })
	})

	it('fails a run whose message never reached the consumer within an hour, and only that one', async () => {
		const hourAgo = Date.now() - 61 * 60 * 1000
		const insert = (status: string, attempts: number, queuedAt: number) =>
			env.DB.prepare(
				"INSERT INTO runs (trigger, status, attempts, queued_at) VALUES ('push', ?1, ?2, ?3) RETURNING id",
			)
				.bind(status, attempts, queuedAt)
				.first<{ id: number }>()
		const lost = await insert('queued', 0, hourAgo)
		const requeued = await insert('queued', 1, hourAgo)
		const fresh = await insert('queued', 0, Date.now())
		const result = await failLostRuns(buildDeps(env))
		expect(result).toEqual({ outcome: 'ok', detail: `failed lost runs ${lost?.id}` })
		const status = async (id: number | undefined) =>
			env.DB.prepare('SELECT status, error_code, error_message FROM runs WHERE id = ?1')
				.bind(id)
				.first()
		expect(await status(lost?.id)).toEqual({
			status: 'failed',
			error_code: 'lost',
			error_message: expect.stringMatching(/^never reached the queue consumer within 60 minutes/),
		})
		expect(await status(requeued?.id)).toMatchObject({ status: 'queued' })
		expect(await status(fresh?.id)).toMatchObject({ status: 'queued' })
	})

	it('refuses an unknown cron string instead of silently doing nothing', async () => {
		const controller = createScheduledController({ cron: '0 0 * * *' })
		await expect(worker.scheduled(controller, env, createExecutionContext())).rejects.toThrow(
			/unknown cron/,
		)
	})

	it('delivers a queue message to its handler, which acks a run that is already finished', async () => {
		const run = await env.DB.prepare(
			"INSERT INTO runs (trigger, status, queued_at) VALUES ('api', 'applied', 1) RETURNING id",
		).first<{ id: number }>()
		const batch = createMessageBatch('tidegate-jobs', [
			{
				id: 'm1',
				timestamp: new Date(),
				attempts: 2,
				body: { v: 1, kind: 'reconcile', runId: run?.id, trigger: 'api' },
			},
		])
		const ctx = createExecutionContext()
		await worker.queue(batch, env, ctx)
		const result = await getQueueResult(batch, ctx)
		expect(result.explicitAcks).toEqual(['m1'])
		expect(result.retryMessages).toEqual([])
		const after = await env.DB.prepare('SELECT status, attempts FROM runs WHERE id = ?')
			.bind(run?.id)
			.first()
		expect(after).toEqual({ status: 'applied', attempts: 0 })
	})
})
