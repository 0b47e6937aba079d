// Alerts are never lost silently (src/app/ops/alerts.ts): an alert the webhook refuses for good, or
// one that cannot even be queued, is a dead letter of kind `alert` that the dashboard banner and
// `GET /api/status` report; one whose retries run out reaches the dead-letter queue, recorded alike.
import { env, exports } from 'cloudflare:workers'
import { HttpResponse, http } from 'msw'
import { beforeEach, describe, expect, it } from 'vitest'
import { raiseAlert, sendAlertJob } from '../../src/app/ops/alerts.ts'
import type { AlertMessage } from '../../src/contracts/queue.ts'
import { createApp } from '../../src/http/app.ts'
import { buildDeps } from '../../workers/deps.ts'
import { capture, deliver } from '../faults/support/world.ts'
import { ADMIN, fluxDelivery, fluxEvent, resetLedger } from './support/flux.ts'
import { useEdge } from './support/network.ts'

const edge = useEdge()
const ALERT_URL = (env as Env).ALERT_WEBHOOK_URL as string
const message: AlertMessage = { v: 1, kind: 'alert', source: 'flux', text: 'shop is failing' }

beforeEach(async () => {
	await env.DB.prepare('DELETE FROM dead_letters').run()
	await resetLedger()
})

async function status() {
	const res = await exports.default.fetch(
		new Request('https://tidegate.test/api/status', { headers: ADMIN }),
	)
	return res.json<{
		alerts: { undelivered: { count: number; newest: { reason: string; at: string } | null } }
		health: { state: string; problems: string[] }
	}>()
}

async function dashboard(): Promise<string> {
	const res = await exports.default.fetch(new Request('https://tidegate.test/', { headers: ADMIN }))
	return res.text()
}

describe('an alert the webhook refuses for good (4xx)', () => {
	it('is recorded as undelivered, and the status and the dashboard say so', async () => {
		edge.use(http.post(ALERT_URL, () => HttpResponse.text('no_service', { status: 404 })))
		const outcome = await sendAlertJob(buildDeps(env), message, 1)
		expect(outcome).toEqual({ retry: false })
		const now = await status()
		expect(now.alerts.undelivered).toEqual({
			count: 1,
			newest: { reason: 'alert not delivered: alert webhook answered 404', at: expect.any(String) },
		})
		expect(now.health.state).toBe('bad')
		expect(now.health.problems[0]).toMatch(
			/^Alerts: 1 could not be delivered and are kept as dead letters \(newest, .*alert webhook answered 404\)/,
		)
		expect(await dashboard()).toContain('Alerts: 1 could not be delivered')
	})
})

describe('an alert the webhook refuses for now (5xx)', () => {
	it('is retried, and recorded once its retries run out', async () => {
		edge.use(http.post(ALERT_URL, () => HttpResponse.text('busy', { status: 503 })))
		expect(await sendAlertJob(buildDeps(env), message, 1)).toMatchObject({ retry: true })
		expect((await status()).alerts.undelivered.count).toBe(0)
		// The platform hands it to the dead-letter consumer after max_retries.
		await deliver(message, 6, 'tidegate-jobs-dlq')
		expect((await status()).alerts.undelivered).toMatchObject({
			count: 1,
			newest: { reason: expect.stringMatching(/^retries exhausted/) },
		})
	})
})

describe('an alert that cannot be queued', () => {
	it('is recorded instead of failing the work that raised it', async () => {
		const deps = buildDeps(env)
		deps.jobs = {
			send: async () => {
				throw new Error('Queue send failed: 500')
			},
			sendBatch: async () => {
				throw new Error('Queue send failed: 500')
			},
		}
		await expect(raiseAlert(deps, 'egress', 'db unreachable from gpu-1')).resolves.toBeUndefined()
		expect((await status()).alerts.undelivered).toMatchObject({
			count: 1,
			newest: { reason: 'alert not delivered: could not be queued: Queue send failed: 500' },
		})
	})

	it('a Flux event whose alert cannot be queued is still recorded (202), and the alert is not lost', async () => {
		const { queue } = capture()
		const broken = {
			...queue,
			send: async () => {
				throw new Error('Queue send failed: 500')
			},
		} as unknown as Queue
		const app = createApp(async (c, next) => {
			c.set('deps', buildDeps({ ...env, JOBS: broken } as Env))
			await next()
		})
		const send = async (spec: Parameters<typeof fluxEvent>[0]) =>
			(await app.fetch(await fluxDelivery(fluxEvent(spec)), env)).status
		// A success, then two failures: the second confirms ok → failing, which alerts.
		const failure = { name: 'shop', severity: 'error', reason: 'HealthCheckFailed' }
		expect(await send({ name: 'shop', at: 0 })).toBe(202)
		expect(await send({ ...failure, at: 60, message: 'timeout 1' })).toBe(202)
		expect(await send({ ...failure, at: 120, message: 'timeout 2' })).toBe(202)
		expect((await status()).alerts.undelivered.count).toBe(1)
	})
})
