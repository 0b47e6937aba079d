/**
 * `GET /agent/egress-ip` in workerd: the Worker tells an agent the public IP its request came
 * from (CF-Connecting-IP), only when the request is signed with AGENT_SECRET for this Worker's
 * host, and signs its answer for that request.
 */
import { exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { AGENT_EGRESS_IP_PATH } from '../../src/contracts/agent.ts'
import {
	AGENT_RESPONSE_SIGNATURE_HEADER,
	signAgentRequest,
	verifyAgentResponse,
} from '../../src/contracts/agent-signing.ts'
import { net } from './support/egress.ts'

const WORKER = 'https://tidegate.test'

async function ask(
	options: {
		host?: string
		secret?: string
		clientIp?: string | null
		headers?: Record<string, string>
	} = {},
) {
	const signed =
		options.headers ??
		(await signAgentRequest({
			secret: options.secret ?? net.secret,
			method: 'GET',
			host: options.host ?? 'tidegate.test',
			path: AGENT_EGRESS_IP_PATH,
			body: '',
		}))
	const headers = new Headers(signed)
	// What Cloudflare's edge adds to every request it proxies.
	if (options.clientIp !== null) {
		headers.set('cf-connecting-ip', options.clientIp ?? '203.0.113.7')
	}
	const res = await exports.default.fetch(
		new Request(`${WORKER}${AGENT_EGRESS_IP_PATH}`, { headers }),
	)
	const body = await res.text()
	const request = signed['x-tidegate-signature']
	const answerSigned =
		request !== undefined &&
		(await verifyAgentResponse({ secret: net.secret, request, response: res, body }))
	return { status: res.status, body: JSON.parse(body), answerSigned, res }
}

describe('GET /agent/egress-ip', () => {
	it("answers a signed request with the caller's CF-Connecting-IP, signed for that request", async () => {
		const v4 = await ask()
		expect(v4).toMatchObject({ status: 200, body: { ip: '203.0.113.7' }, answerSigned: true })
		expect(v4.res.headers.get('cache-control')).toBe('no-store')
		const v6 = await ask({ clientIp: '2001:db8::42' })
		expect(v6).toMatchObject({ status: 200, body: { ip: '2001:db8::42' }, answerSigned: true })
	})

	it('refuses an unsigned request, another secret, a request signed for another host, and v1', async () => {
		const refused = [
			await ask({ headers: {} }),
			await ask({ secret: 'not-the-agent-secret-0123' }),
			await ask({ host: 'tidegate-agent.example.com' }),
			await ask({
				headers: {
					'x-tidegate-timestamp': String(Math.floor(Date.now() / 1000)),
					'x-tidegate-signature': `sha256=${'0'.repeat(64)}`,
				},
			}),
		]
		for (const r of refused) {
			expect(r.status).toBe(401)
			expect(r.body).toMatchObject({ error: { code: 'unauthorized' } })
			expect(r.res.headers.get(AGENT_RESPONSE_SIGNATURE_HEADER)).toBeNull()
		}
		expect(refused.map((r) => r.body.error.message)).toEqual([
			'agent signature refused (missing)',
			'agent signature refused (bad-signature)',
			'agent signature refused (bad-signature)',
			'agent signature refused (old-scheme)',
		])
	})

	it('says so when the request carries no CF-Connecting-IP, instead of inventing one', async () => {
		const r = await ask({ clientIp: null })
		expect(r.status).toBe(503)
		expect(r.body).toMatchObject({ error: { code: 'unavailable' } })
	})
})
