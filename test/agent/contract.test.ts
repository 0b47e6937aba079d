/** The shared agent contract: signing (scheme v2), verification and the answer schema the Worker trusts. */
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
	AGENT_CHECK_PATH,
	agentCheckRequestSchema,
	parseAgentCheckResponse,
} from '../../src/contracts/agent.ts'
import {
	AGENT_RESPONSE_SIGNATURE_HEADER,
	normaliseHost,
	signAgentRequest,
	signAgentResponse,
	signatureHex,
	signedHost,
	verifyAgentRequest,
	verifyAgentResponse,
} from '../../src/contracts/agent-signing.ts'

const secret = 'contract-secret-0123456789'
const body = '{"targets":[],"requestId":"r1"}'
const now = 1_800_000_000
const host = 'tidegate-agent.example.com'

async function signed(overrides: { secret?: string; timestamp?: number; host?: string } = {}) {
	return signAgentRequest({
		secret: overrides.secret ?? secret,
		method: 'post',
		host: overrides.host ?? host,
		path: AGENT_CHECK_PATH,
		body,
		timestamp: overrides.timestamp ?? now,
	})
}

function verify(
	headers: { 'x-tidegate-timestamp': string; 'x-tidegate-signature': string },
	changes: Partial<Parameters<typeof verifyAgentRequest>[0]> = {},
) {
	return verifyAgentRequest({
		secrets: [secret],
		hosts: [host],
		method: 'POST',
		path: AGENT_CHECK_PATH,
		body,
		timestamp: headers['x-tidegate-timestamp'],
		signature: headers['x-tidegate-signature'],
		nowSeconds: now,
		...changes,
	})
}

describe('request signing, scheme v2', () => {
	it('signs "tidegate-agent-v2 request", timestamp, METHOD, host, path and body with HMAC-SHA256', async () => {
		const h = await signed()
		expect(h['x-tidegate-timestamp']).toBe(String(now))
		// The same MAC computed independently with node:crypto (agent/README.md shows it with openssl).
		const expected = createHmac('sha256', secret)
			.update(`tidegate-agent-v2 request\n${now}\nPOST\n${host}\n${AGENT_CHECK_PATH}\n${body}`)
			.digest('hex')
		expect(h['x-tidegate-signature']).toBe(`v2=${expected}`)
	})

	it('accepts a good signature, from bytes as from a string, and says which host and secret', async () => {
		const h = await signed()
		expect(await verify(h)).toEqual({
			ok: true,
			timestamp: now,
			signature: signatureHex(h['x-tidegate-signature']),
			host,
			secret,
		})
		expect(await verify(h, { body: new TextEncoder().encode(body) })).toMatchObject({ ok: true })
	})

	it('accepts the previous secret during a rotation, and names it for signing the answer', async () => {
		const old = 'the-old-secret-0123456789'
		const h = await signed({ secret: old })
		expect(await verify(h)).toEqual({ ok: false, reason: 'bad-signature' })
		expect(await verify(h, { secrets: [secret, old] })).toMatchObject({ ok: true, secret: old })
	})

	it('binds the host: a request signed for one agent is refused by another', async () => {
		const forPeer = await signed({ host: '10.42.1.7:8787' })
		expect(await verify(forPeer)).toEqual({ ok: false, reason: 'bad-signature' })
		expect(await verify(forPeer, { hosts: ['10.42.2.9:8787', host] })).toEqual({
			ok: false,
			reason: 'bad-signature',
		})
		expect(await verify(forPeer, { hosts: [host, '10.42.1.7:8787'] })).toMatchObject({
			ok: true,
			host: '10.42.1.7:8787',
		})
	})

	it('signs hosts as URLs write them: lower case, no default port', () => {
		expect(signedHost('https://Tidegate-Agent.Example.com/')).toBe(host)
		expect(signedHost('http://10.42.1.7:8787')).toBe('10.42.1.7:8787')
		expect(signedHost('http://[fd00::7]:8787')).toBe('[fd00::7]:8787')
		expect(normaliseHost('Tidegate-Agent.Example.com')).toBe(host)
		expect(normaliseHost('10.42.1.7:80')).toBe('10.42.1.7')
	})

	it('refuses a changed body, method, path or secret', async () => {
		const h = await signed()
		const bad = { ok: false, reason: 'bad-signature' }
		expect(await verify(h, { body: `${body} ` })).toEqual(bad)
		expect(await verify(h, { method: 'PUT' })).toEqual(bad)
		expect(await verify(h, { path: '/v1/check?x=1' })).toEqual(bad)
		expect(await verify(h, { secrets: ['another-secret-0123456789'] })).toEqual(bad)
		expect(await verify(h, { secrets: [] })).toEqual(bad)
		expect(await verify(h, { hosts: [] })).toEqual(bad)
	})

	it('refuses timestamps more than 5 minutes off, either way', async () => {
		expect(await verify(await signed({ timestamp: now - 300 }))).toMatchObject({ ok: true })
		expect(await verify(await signed({ timestamp: now - 301 }))).toEqual({
			ok: false,
			reason: 'stale',
		})
		expect(await verify(await signed({ timestamp: now + 301 }))).toEqual({
			ok: false,
			reason: 'stale',
		})
	})

	it('refuses missing and malformed headers, and names the old scheme v1', async () => {
		const h = await signed()
		expect(await verify({ ...h, 'x-tidegate-signature': '' })).toEqual({
			ok: false,
			reason: 'missing',
		})
		for (const signature of [
			h['x-tidegate-signature'].toUpperCase(),
			h['x-tidegate-signature'].replace('v2=', 'v3='),
			`${h['x-tidegate-signature']}00`,
		]) {
			expect(await verify({ ...h, 'x-tidegate-signature': signature })).toEqual({
				ok: false,
				reason: 'malformed',
			})
		}
		expect(await verify({ ...h, 'x-tidegate-timestamp': '1.5e9' })).toEqual({
			ok: false,
			reason: 'malformed',
		})
		const v1 = createHmac('sha256', secret)
			.update(`${now}\nPOST\n${AGENT_CHECK_PATH}\n${body}`)
			.digest('hex')
		expect(await verify({ ...h, 'x-tidegate-signature': `sha256=${v1}` })).toEqual({
			ok: false,
			reason: 'old-scheme',
		})
	})
})

describe('answer signing', () => {
	const answer = '{"requestId":"r1","nodes":[]}'

	it('signs "tidegate-agent-v2 answer", the request signature, the status and the body', async () => {
		const request = signatureHex((await signed())['x-tidegate-signature'])
		const signature = await signAgentResponse({
			secret,
			requestSignature: request,
			status: 200,
			body: answer,
		})
		const expected = createHmac('sha256', secret)
			.update(`tidegate-agent-v2 answer\n${request}\n200\n${answer}`)
			.digest('hex')
		expect(signature).toBe(`v2=${expected}`)
	})

	it('accepts only the answer to this request, unchanged, from a holder of the secret', async () => {
		const request = (await signed())['x-tidegate-signature']
		const other = (await signed({ timestamp: now + 1 }))['x-tidegate-signature']
		const signature = await signAgentResponse({
			secret,
			requestSignature: signatureHex(request),
			status: 200,
			body: answer,
		})
		const check = (
			changes: {
				secret?: string
				request?: string
				status?: number
				body?: string | Uint8Array
				signature?: string | null
			} = {},
		) =>
			verifyAgentResponse({
				secret: changes.secret ?? secret,
				request: changes.request ?? request,
				response: {
					status: changes.status ?? 200,
					headers: new Headers(
						changes.signature === null
							? {}
							: { [AGENT_RESPONSE_SIGNATURE_HEADER]: changes.signature ?? signature },
					),
				},
				body: changes.body ?? answer,
			})
		expect(await check()).toBe(true)
		expect(await check({ body: new TextEncoder().encode(answer) })).toBe(true)
		expect(await check({ request: other })).toBe(false) // a replayed answer
		expect(await check({ body: answer.replace('r1', 'r2') })).toBe(false)
		expect(await check({ status: 500 })).toBe(false)
		expect(await check({ secret: 'another-secret-0123456789' })).toBe(false)
		expect(await check({ signature: null })).toBe(false)
		expect(await check({ signature: 'v2=00' })).toBe(false)
	})
})

describe('request schema', () => {
	const target = { name: 'db', host: 'db.example.com', port: 5432, probe: 'postgres' }

	it('accepts the documented shape and drops unknown fields', () => {
		const parsed = agentCheckRequestSchema.parse({
			targets: [{ ...target, future: 1 }],
			timeoutMs: 2000,
			fanout: false,
		})
		expect(parsed.targets[0]).toEqual(target)
	})

	it('refuses paths and hosts that could smuggle bytes into a request', () => {
		const http = { name: 'h', host: 'example.com', port: 80, probe: 'http' }
		for (const bad of [
			{ ...http, path: '/ HTTP/1.1\r\nX: y' },
			{ ...http, path: 'no-slash' },
			{ ...http, host: 'a b' },
			{ ...http, host: 'example.com/x' },
			{ ...http, port: 0 },
			{ ...http, probe: 'udp' },
		]) {
			expect(agentCheckRequestSchema.safeParse({ targets: [bad] }).success).toBe(false)
		}
	})

	it('refuses duplicate target names and out-of-range timeouts', () => {
		expect(agentCheckRequestSchema.safeParse({ targets: [target, target] }).success).toBe(false)
		expect(agentCheckRequestSchema.safeParse({ targets: [], timeoutMs: 50 }).success).toBe(false)
		expect(agentCheckRequestSchema.safeParse({ targets: [], timeoutMs: 60_000 }).success).toBe(
			false,
		)
	})
})

describe('parseAgentCheckResponse (what the Worker trusts)', () => {
	const result = {
		target: 'db',
		probe: 'postgres',
		ok: true,
		latencyMs: 3.2,
		error: null,
		phases: { dns: 1, connect: 1.1, handshake: 1.1 },
		postgres: { ssl: false },
	}
	const node = {
		node: 'n1',
		reachable: true,
		error: null,
		observedAt: 1_800_000_000_000,
		durationMs: 4,
		results: [result],
	}
	const answer = { requestId: 'r1', nodes: [node] }
	const parse = (value: unknown) => parseAgentCheckResponse(JSON.stringify(value))

	it('accepts a valid answer, including error codes it does not know yet', () => {
		expect(parse(answer).ok).toBe(true)
		const future = { ...result, ok: false, error: 'quantum-decoherence' }
		expect(parse({ ...answer, nodes: [{ ...node, results: [future] }] }).ok).toBe(true)
	})

	it('rejects the bad answers of the agent fault class (docs/reliability.md)', () => {
		expect(parseAgentCheckResponse('<html>502</html>')).toMatchObject({
			ok: false,
			error: 'not-json',
		})
		expect(parseAgentCheckResponse('{"nodes": [')).toMatchObject({ ok: false, error: 'not-json' })
		expect(parse([answer])).toMatchObject({ ok: false, error: 'invalid' })
		expect(parse({ requestId: 'r', nodes: [] })).toMatchObject({ ok: false })
		expect(parse({ ...answer, nodes: [node, node] })).toMatchObject({ ok: false })
		const withResult = (r: unknown) => ({ ...answer, nodes: [{ ...node, results: [r] }] })
		expect(parse(withResult({ ...result, latencyMs: -1 }))).toMatchObject({ ok: false })
		expect(parse(withResult({ ...result, latencyMs: 1e12 }))).toMatchObject({ ok: false })
		expect(parse(withResult({ ...result, latencyMs: 'NaN' }))).toMatchObject({ ok: false })
		expect(parse(withResult({ ...result, ok: true, error: 'timeout' }))).toMatchObject({
			ok: false,
		})
		expect(parse(withResult({ ...result, phases: { dns: -3 } }))).toMatchObject({ ok: false })
		expect(
			parse({ ...answer, nodes: [{ ...node, reachable: false, error: 'timeout' }] }),
		).toMatchObject({ ok: false, message: expect.stringContaining('no results') })
		expect(parse({ ...answer, nodes: [{ ...node, results: [result, result] }] })).toMatchObject({
			ok: false,
		})
	})
})
