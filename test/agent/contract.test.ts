/** The shared agent contract: signing, verification and the answer schema the Worker trusts. */
import { describe, expect, it } from 'vitest'
import {
	AGENT_CHECK_PATH,
	agentCheckRequestSchema,
	parseAgentCheckResponse,
	signAgentRequest,
	verifyAgentRequest,
} from '../../src/contracts/agent.ts'

const secret = 'contract-secret-0123456789'
const body = '{"targets":[],"requestId":"r1"}'
const now = 1_800_000_000

async function signed(overrides: { secret?: string; timestamp?: number } = {}) {
	return signAgentRequest({
		secret: overrides.secret ?? secret,
		method: 'post',
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
		method: 'POST',
		path: AGENT_CHECK_PATH,
		body,
		timestamp: headers['x-tidegate-timestamp'],
		signature: headers['x-tidegate-signature'],
		nowSeconds: now,
		...changes,
	})
}

describe('signing', () => {
	it('signs <timestamp>\\n<METHOD>\\n<path>\\n<body> with HMAC-SHA256', async () => {
		const h = await signed()
		expect(h['x-tidegate-timestamp']).toBe(String(now))
		expect(h['x-tidegate-signature']).toMatch(/^sha256=[0-9a-f]{64}$/)
		// The same MAC computed independently with node:crypto.
		const { createHmac } = await import('node:crypto')
		const expected = createHmac('sha256', secret)
			.update(`${now}\nPOST\n${AGENT_CHECK_PATH}\n${body}`)
			.digest('hex')
		expect(h['x-tidegate-signature']).toBe(`sha256=${expected}`)
	})

	it('accepts a good signature, from bytes as from a string', async () => {
		const h = await signed()
		expect(await verify(h)).toMatchObject({ ok: true, timestamp: now })
		expect(await verify(h, { body: new TextEncoder().encode(body) })).toMatchObject({ ok: true })
	})

	it('accepts the previous secret during a rotation', async () => {
		const h = await signed({ secret: 'the-old-secret-0123456789' })
		expect(await verify(h)).toEqual({ ok: false, reason: 'bad-signature' })
		expect(await verify(h, { secrets: [secret, 'the-old-secret-0123456789'] })).toMatchObject({
			ok: true,
		})
	})

	it('refuses a changed body, method, path or secret', async () => {
		const h = await signed()
		const bad = { ok: false, reason: 'bad-signature' }
		expect(await verify(h, { body: `${body} ` })).toEqual(bad)
		expect(await verify(h, { method: 'PUT' })).toEqual(bad)
		expect(await verify(h, { path: '/v1/check?x=1' })).toEqual(bad)
		expect(await verify(h, { secrets: ['another-secret-0123456789'] })).toEqual(bad)
		expect(await verify(h, { secrets: [] })).toEqual(bad)
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

	it('refuses missing and malformed headers', async () => {
		const h = await signed()
		expect(await verify({ ...h, 'x-tidegate-signature': '' })).toEqual({
			ok: false,
			reason: 'missing',
		})
		for (const signature of [
			h['x-tidegate-signature'].toUpperCase(),
			h['x-tidegate-signature'].replace('sha256=', 'sha1='),
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

	it('rejects what RELIABILITY §7 G lists as bad answers', () => {
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
