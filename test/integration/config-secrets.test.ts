// Shared secrets shorter than 32 characters (src/app/config.ts): the feature they guard is off, and
// /healthz, /api/status and the dashboard say so in words, naming the setting, never its value.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { MIN_SECRET_LENGTH } from '../../src/app/config.ts'
import { createApp } from '../../src/http/app.ts'
import { buildDeps } from '../../workers/deps.ts'
import { fluxDelivery, fluxEvent } from './support/flux.ts'
import { githubDelivery, pushPayload } from './support/github.ts'
import { useEdge } from './support/network.ts'

useEdge()

const SHORT = 'x'.repeat(MIN_SECRET_LENGTH - 1)

/** The real app over the real bindings, with some configuration changed. */
function appWith(overrides: Partial<Record<keyof Env, string>>) {
	const app = createApp(async (c, next) => {
		c.set('deps', buildDeps({ ...env, ...overrides } as Env))
		await next()
	})
	return (path: string, init: RequestInit = {}) =>
		app.fetch(new Request(`https://tidegate.test${path}`, init), env)
}

describe('a shared secret shorter than 32 characters is refused', () => {
	it('GITHUB_WEBHOOK_SECRET: every delivery is refused (503), even one signed with it', async () => {
		const fetch = appWith({ GITHUB_WEBHOOK_SECRET: SHORT, GITHUB_WEBHOOK_SECRET_PREVIOUS: '' })
		const signed = await githubDelivery(pushPayload(), { secret: SHORT })
		const res = await fetch('/webhooks/github', {
			method: 'POST',
			headers: signed.headers,
			body: await signed.text(),
		})
		expect(res.status).toBe(503)
		const health = await (await fetch('/healthz')).json<{ configProblems: string[] }>()
		expect(health.configProblems).toEqual([
			expect.stringMatching(
				/^GITHUB_WEBHOOK_SECRET is shorter than 32 characters and is refused .*accepting GitHub push webhooks/,
			),
		])
		expect(JSON.stringify(health)).not.toContain(SHORT)
	})

	it('a short _PREVIOUS is refused on its own; the current secret keeps working', async () => {
		const fetch = appWith({ FLUX_WEBHOOK_SECRET_PREVIOUS: SHORT })
		const signedWithShort = await fluxDelivery(fluxEvent({ name: 'short' }), { secret: SHORT })
		const res = await fetch('/webhooks/flux', {
			method: 'POST',
			headers: signedWithShort.headers,
			body: await signedWithShort.text(),
		})
		expect(res.status).toBe(401)
		const good = await fluxDelivery(fluxEvent({ name: 'long' }))
		expect(
			(
				await fetch('/webhooks/flux', {
					method: 'POST',
					headers: good.headers,
					body: await good.text(),
				})
			).status,
		).toBe(202)
		const health = await (await fetch('/healthz')).json<{ missingConfig: string[] }>()
		expect(health.missingConfig).toEqual(['FLUX_WEBHOOK_SECRET_PREVIOUS'])
	})

	it('ADMIN_TOKEN next to Access: the token no longer signs in, and /healthz says why', async () => {
		const fetch = appWith({ ADMIN_TOKEN: SHORT, ADMIN_TOKEN_PREVIOUS: '' })
		const bearer = { authorization: `Bearer ${SHORT}` }
		expect((await fetch('/api/status', { headers: bearer })).status).toBe(401)
		const health = await (await fetch('/healthz')).json<{ configProblems: string[] }>()
		expect(health.configProblems).toEqual([
			expect.stringMatching(
				/^ADMIN_TOKEN is shorter than 32 characters .*the dashboard and the admin API/,
			),
		])
	})

	it('ADMIN_TOKEN without Access: the admin surface is off (503) with the reason', async () => {
		const fetch = appWith({ ADMIN_TOKEN: SHORT, ADMIN_TOKEN_PREVIOUS: '', ACCESS_AUD: '' })
		const res = await fetch('/api/status', { headers: { authorization: `Bearer ${SHORT}` } })
		expect(res.status).toBe(503)
		expect(await res.json()).toMatchObject({
			error: { code: 'unavailable', message: expect.stringContaining('at least 32 characters') },
		})
	})

	it('AGENT_SECRET and FLUX_RECEIVER_SECRET: the agent and the Receiver are off, and /api/status says why', async () => {
		const deps = buildDeps({
			...env,
			AGENT_SECRET: SHORT,
			FLUX_RECEIVER_SECRET: SHORT,
		} as Env)
		expect(deps.agent).toBeUndefined()
		expect(deps.fluxReceiver).toBeUndefined()
		const fetch = appWith({ AGENT_SECRET: SHORT, FLUX_RECEIVER_SECRET: SHORT })
		const status = await (
			await fetch('/api/status', {
				headers: { authorization: 'Bearer test-admin-token-0123456789abcdef' },
			})
		).json<{ missingConfig: { name: string; problem: string; message: string }[] }>()
		expect(status.missingConfig).toEqual([
			expect.objectContaining({
				name: 'AGENT_SECRET',
				problem: 'too short',
				message: expect.stringContaining(
					'until then this is off: signing requests to the in-cluster agent',
				),
			}),
			expect.objectContaining({ name: 'FLUX_RECEIVER_SECRET', problem: 'too short' }),
		])
		expect(JSON.stringify(status)).not.toContain(SHORT)
	})

	it('nothing is refused with the configuration the tests run with (every secret 32+ characters)', async () => {
		expect(buildDeps(env).missingConfig).toEqual([])
	})
})

describe('configuration parsed once: defaults, and URLs that are URLs', () => {
	it('an unset branch, file path and API base URLs take their defaults and are not reported', async () => {
		const fetch = appWith({
			GITHUB_BRANCH: '',
			TIDEGATE_CONFIG_PATH: '',
			GITHUB_API_BASE_URL: '',
			CF_API_BASE_URL: '',
		})
		const health = await (await fetch('/healthz')).json<{ configProblems: string[] }>()
		expect(health.configProblems).toEqual([])
	})

	it('a URL that is not http(s) is named on /healthz and refused; the rest keeps working', async () => {
		const fetch = appWith({ AGENT_URL: 'agent.internal:8080', PUBLIC_URL: 'ftp://x.test' })
		const health = await (await fetch('/healthz')).json<{ configProblems: string[] }>()
		expect(health.configProblems).toEqual([
			'AGENT_URL is not an http(s) URL and is refused; until it is fixed this is off: checking egress from every node',
			'PUBLIC_URL is not an http(s) URL and is refused; until it is fixed this is off: linking commit statuses and alerts to the dashboard',
		])
		const signed = await githubDelivery(pushPayload())
		const res = await fetch('/webhooks/github', {
			method: 'POST',
			headers: signed.headers,
			body: await signed.text(),
		})
		expect(res.status).toBe(202)
	})
})
