// The API-call log (a run's `apiCalls`, shown on the dashboard) never holds a URL that is itself a
// credential: a Slack-style alert webhook's path, a Flux Receiver's `/hook/<digest>`.
import { describe, expect, it } from 'vitest'
import { webhookAlerts } from '../../../src/adapters/alert/webhook.ts'
import { fluxReceiver } from '../../../src/adapters/flux/receiver.ts'
import { createCallLog, recordingFetch } from '../../../src/adapters/recording-fetch.ts'

const ok: typeof fetch = async () => new Response('ok')

describe('recordingFetch', () => {
	it('gives up on a call that outlasts timeoutMs, and records it as failed', async () => {
		const calls = createCallLog()
		const hangs: typeof fetch = (input) =>
			new Promise((_, reject) => {
				const signal = (input as Request).signal
				signal.addEventListener('abort', () => reject(signal.reason))
			})
		const send = recordingFetch('alert', calls, hangs, { timeoutMs: 20 })
		await expect(send('https://alerts.test/x')).rejects.toMatchObject({ name: 'TimeoutError' })
		expect(calls.since(0)).toEqual([
			{ api: 'alert', method: 'GET', path: '/x', status: null, ms: expect.any(Number) },
		])
	})

	it('records method, path, status and time, never the query string', async () => {
		const calls = createCallLog()
		await recordingFetch('github', calls, ok)('https://api.github.test/repos/o/r?access_token=x')
		expect(calls.since(0)).toEqual([
			{ api: 'github', method: 'GET', path: '/repos/o/r', status: 200, ms: expect.any(Number) },
		])
	})

	it('records only the first segment of a secret path, also for a call that failed', async () => {
		const calls = createCallLog()
		const alerts = webhookAlerts({
			url: 'https://hooks.slack.com/services/T0123ABCD/B0123ABCD/abcdefghijklmnopqrstuvwx',
			calls,
			fetch: ok,
		})
		await alerts.send({ text: 'hello' })
		const down = webhookAlerts({
			url: 'https://hooks.slack.com/services/T0123ABCD/B0123ABCD/abcdefghijklmnopqrstuvwx',
			calls,
			fetch: async () => {
				throw new TypeError('fetch failed')
			},
		})
		expect(await down.send({ text: 'hello' })).toMatchObject({ ok: false })
		const receiver = fluxReceiver({
			url: 'https://flux.example.com/hook/5e2d0c1f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d',
			secret: 'receiver-token-0123456789abcdef0123',
			calls,
			fetch: ok,
		})
		await receiver.notify({
			deliveryId: 'd',
			repository: 'o/r',
			ref: 'refs/heads/main',
			commitSha: 'a'.repeat(40),
		})
		expect(calls.since(0).map((c) => `${c.api} ${c.method} ${c.path} ${c.status}`)).toEqual([
			'alert POST /services/… 200',
			'alert POST /services/… null',
			'flux POST /hook/… 200',
		])
		expect(JSON.stringify(calls.since(0))).not.toMatch(/T0123ABCD|abcdefghijkl|5e2d0c1f/)
	})
})
