import { createExecutionContext, createScheduledController } from 'cloudflare:test'
import { env, exports } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { hmacSha256Hex } from '../../src/lib/secrets.ts'
import worker from '../../workers/index.ts'
import { DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID } from '../standins/cloudflare/seed.ts'
import { useEdge } from './support/network.ts'
import { waitFor } from './support/wait.ts'

const edge = useEdge()

const YAML = `version: 1
owner: oceanid
tunnel:
  accountId: ${DEFAULT_ACCOUNT_ID}
  tunnelId: ${DEFAULT_TUNNEL_ID}
  ingress:
    - hostname: label.example.com
      service: http://label-studio-ls-app.apps.svc.cluster.local:8085
`

const tick = () =>
	worker.scheduled(
		createScheduledController({ cron: '*/5 * * * *' }),
		env,
		createExecutionContext(),
	)

beforeEach(async () => {
	edge.cloudflare.reset()
	await edge.github.reset()
	edge.receiver.length = 0
	edge.github.configureWebhook({
		url: 'https://tidegate.test/webhooks/github',
		fetch: (r) => exports.default.fetch(r),
	})
})

describe('missed-delivery repair', () => {
	it('asks GitHub to redeliver a push that never arrived, once, and the redelivery is processed', async () => {
		const first = await edge.github.push({ files: { 'tidegate.yaml': YAML } })
		expect(first.statusCode).toBe(202)
		const missed = await edge.github.push({
			files: { 'README.md': 'hello', 'tidegate.yaml': `${YAML}# v2\n` },
			delivery: 'fail',
		})
		expect(missed.delivered).toBe(false)
		expect(
			await env.DB.prepare('SELECT 1 FROM github_deliveries WHERE delivery_id = ?')
				.bind(missed.guid)
				.first(),
		).toBeNull()

		await tick()
		const repaired = await waitFor(() =>
			env.DB.prepare(
				"SELECT status, run_id FROM github_deliveries WHERE delivery_id = ? AND status = 'queued'",
			)
				.bind(missed.guid)
				.first<{ status: string; run_id: number }>(),
		)
		expect(repaired.run_id).toBeGreaterThan(0)
		const request = await env.DB.prepare(
			'SELECT outcome, failed_status_code FROM redelivery_requests WHERE guid = ?',
		)
			.bind(missed.guid)
			.first()
		expect(request).toEqual({ outcome: 'requested', failed_status_code: 0 })
		const ticks = await env.DB.prepare(
			"SELECT detail FROM cron_ticks WHERE job = 'deliveries' ORDER BY id DESC",
		).first<{ detail: string }>()
		expect(ticks?.detail).toMatch(/redelivery requested for 1/)

		edge.github.clearRequests()
		await tick()
		expect(
			edge.github.requests({ method: 'POST', path: '/repos/*/*/hooks/*/deliveries/*/attempts' }),
		).toEqual([])
	})
})

describe('Flux Receiver forwarding', () => {
	it('forwards every push to the tracked branch, signed for a generic-hmac Receiver, even when tidegate.yaml did not change', async () => {
		const pushed = await edge.github.push({
			files: { 'apps/web/deployment.yaml': 'kind: Deployment\n' },
		})
		expect(pushed.statusCode).toBe(200)
		// Forwards queued by earlier tests may still arrive; pick this push's.
		const forwarded = await waitFor(async () =>
			edge.receiver.find((call) => call.body.includes(pushed.sha)),
		)
		const body = forwarded.body
		expect(JSON.parse(body)).toMatchObject({
			source: 'tidegate',
			after: pushed.sha,
			ref: 'refs/heads/main',
		})
		expect(forwarded.headers.get('x-signature')).toBe(
			`sha256=${await hmacSha256Hex('test-flux-receiver-token-0123456789abcdef', body)}`,
		)
		const row = await waitFor(() =>
			env.DB.prepare(
				"SELECT status FROM receiver_notifications WHERE delivery_id = ? AND status = 'sent'",
			)
				.bind(pushed.guid)
				.first(),
		)
		expect(row).toEqual({ status: 'sent' })
	})

	it('does not forward pushes to other branches', async () => {
		const feature = await edge.github.push({ branch: 'feature', files: { 'x.yaml': 'a: 1\n' } })
		const main = await edge.github.push({ files: { 'y.yaml': 'b: 2\n' } })
		// The main push's forward arriving proves the queue drained; the feature push's never came.
		await waitFor(async () => edge.receiver.find((call) => call.body.includes(main.sha)))
		expect(edge.receiver.filter((call) => call.body.includes(feature.sha))).toEqual([])
	})
})
