/**
 * A slow or flooding client cannot exhaust the agent: connections are capped (503 beyond the cap),
 * and a request that takes too long to arrive is dropped, so the slots come back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AGENT_CHECK_PATH } from '../../src/contracts/agent.ts'
import { postCheck, rid, startAgent, type TestAgent } from './helpers/agents.ts'
import { freePort, type RawClient, rawClient } from './helpers/net.ts'

const CAP = 4
const REQUEST_TIMEOUT_MS = 1500
let agent: TestAgent

beforeAll(async () => {
	agent = await startAgent({
		name: 'node-limits',
		port: await freePort(),
		env: {
			AGENT_MAX_CONNECTIONS: String(CAP),
			AGENT_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
		},
	})
}, 20_000)

afterAll(() => agent?.kill())

/** A slowloris client: opens a connection and sends only part of the request headers. */
async function slowloris(): Promise<RawClient> {
	const client = await rawClient(agent.port)
	client.socket.write(`POST ${AGENT_CHECK_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: `)
	return client
}

/** One request on its own connection (no keep-alive pool), answered status. */
async function statusOnFreshConnection(): Promise<number> {
	const res = await fetch(`${agent.url}/healthz`, { headers: { connection: 'close' } })
	await res.arrayBuffer()
	return res.status
}

describe('connection cap (AGENT_MAX_CONNECTIONS)', () => {
	it('answers 503 past the cap, and serves again once the slow clients are dropped', async () => {
		const slow = await Promise.all(Array.from({ length: CAP }, () => slowloris()))
		const t0 = performance.now()
		const res = await fetch(`${agent.url}/healthz`, { headers: { connection: 'close' } })
		expect(res.status).toBe(503)
		expect(res.headers.get('connection')).toBe('close')
		expect(await res.json()).toMatchObject({
			error: {
				code: 'unavailable',
				message: `more than ${CAP} connections open; try again shortly`,
			},
		})
		expect(performance.now() - t0).toBeLessThan(500) // at once, not after a timeout

		// The slow clients never finish their headers: each is answered 408 and closed.
		await Promise.all(slow.map((c) => c.closed))
		const waited = performance.now() - t0
		expect(waited).toBeGreaterThan(REQUEST_TIMEOUT_MS - 300)
		expect(waited).toBeLessThan(REQUEST_TIMEOUT_MS + 2500)
		for (const c of slow) {
			expect(c.received()).toMatch(/^HTTP\/1\.1 408 /)
		}
		expect(await statusOnFreshConnection()).toBe(200)
	})

	it('stays up under a flood of unauthenticated requests, and answers a signed check after it', async () => {
		const flood = await Promise.all(
			Array.from({ length: 60 }, async () => {
				try {
					const res = await fetch(`${agent.url}${AGENT_CHECK_PATH}`, {
						method: 'POST',
						headers: { 'content-type': 'application/json', connection: 'close' },
						body: JSON.stringify({ targets: [], requestId: rid() }),
					})
					await res.arrayBuffer()
					return res.status
				} catch {
					return 0 // past twice the cap, Node drops the connection without a word
				}
			}),
		)
		expect(flood.every((s) => s === 401 || s === 503 || s === 0)).toBe(true)
		expect(flood.filter((s) => s === 401).length).toBeGreaterThan(0)
		const res = await postCheck(agent.url, { targets: [], requestId: rid() })
		expect(res.status).toBe(200)
	})
})

describe('request time (AGENT_REQUEST_TIMEOUT_MS)', () => {
	it('drops a body that drips in slower than the request timeout', async () => {
		const client = await rawClient(agent.port)
		client.socket.write(
			`POST ${AGENT_CHECK_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`,
		)
		const drip = setInterval(() => {
			if (!client.socket.destroyed) {
				client.socket.write(' ')
			}
		}, 200)
		const t0 = performance.now()
		await client.closed
		clearInterval(drip)
		const waited = performance.now() - t0
		expect(waited).toBeGreaterThan(REQUEST_TIMEOUT_MS - 300)
		expect(waited).toBeLessThan(REQUEST_TIMEOUT_MS + 2500)
		expect(client.received()).toMatch(/^HTTP\/1\.1 408 /)
	})

	it('drops a connection that never sends a request', async () => {
		const client = await rawClient(agent.port)
		const t0 = performance.now()
		await client.closed
		expect(performance.now() - t0).toBeLessThan(REQUEST_TIMEOUT_MS + 2500)
	})
})
