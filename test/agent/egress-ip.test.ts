/**
 * Each agent reports its node's public egress IP, learnt from the Worker's signed echo of
 * CF-Connecting-IP (served here from the Worker's own route): per node, cached, never slowing a
 * check, and never taken from anything that does not hold the secret.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AgentCheckResponse, agentCheckResponseSchema } from '../../src/contracts/agent.ts'
import { type EgressIpEcho, serveEgressIpEcho } from '../helpers/egress-ip-echo.ts'
import { postCheck, rid, SECRET, startAgent, type TestAgent } from './helpers/agents.ts'
import { blackholeServer, freePort, type TestServer } from './helpers/net.ts'

const agents: TestAgent[] = []
let echo: EgressIpEcho
let silent: TestServer
let unsigned: Server
let unsignedUrl: string

beforeAll(async () => {
	echo = await serveEgressIpEcho({ secret: SECRET })
	silent = await blackholeServer()
	// Answers like the Worker, but unsigned: it does not hold the secret.
	unsigned = createServer((_req, res) => {
		res.writeHead(200, { 'content-type': 'application/json' })
		res.end('{"ip":"198.51.100.66"}')
	})
	await new Promise<void>((resolve) => unsigned.listen(0, '127.0.0.1', resolve))
	unsignedUrl = `http://127.0.0.1:${(unsigned.address() as AddressInfo).port}`
})

afterAll(async () => {
	for (const agent of agents) {
		agent.kill()
	}
	await Promise.all([echo?.close(), silent?.close()])
	unsigned?.close()
})

async function agent(name: string, env: Record<string, string>, peers: string[] = []) {
	const started = await startAgent({ name, port: await freePort(), peers, env })
	agents.push(started)
	return started
}

async function check(url: string, timeoutMs = 1000): Promise<AgentCheckResponse & { ms: number }> {
	const res = await postCheck(url, { targets: [], timeoutMs, requestId: rid() })
	expect(res.status).toBe(200)
	return { ...agentCheckResponseSchema.parse(res.json), ms: res.ms }
}

describe("a node's public egress IP", () => {
	it('is the address the Worker saw, per node, each agent calling from its own source address', async () => {
		const b = await agent('node-b', {
			AGENT_WORKER_URL: echo.url,
			AGENT_SOURCE_ADDRESS: '127.0.0.3',
		})
		const a = await agent(
			'node-a',
			{ AGENT_WORKER_URL: echo.url, AGENT_SOURCE_ADDRESS: '127.0.0.2' },
			[b.url],
		)
		const before = Date.now()
		const body = await check(a.url)
		expect(body.nodes.map((n) => [n.node, n.egressIp?.address, n.egressIp?.error])).toEqual([
			['node-a', '127.0.0.2', null],
			['node-b', '127.0.0.3', null],
		])
		expect(body.nodes[0]?.egressIp?.observedAt).toBeGreaterThanOrEqual(before)
	})

	it('is asked once and kept (five minutes), not on every check', async () => {
		const c = await agent('node-c', { AGENT_WORKER_URL: echo.url })
		const hits = echo.hits()
		const first = await check(c.url)
		const second = await check(c.url)
		expect(echo.hits() - hits).toBe(1)
		expect(second.nodes[0]?.egressIp).toEqual(first.nodes[0]?.egressIp)
		expect(first.nodes[0]?.egressIp?.address).toBe('127.0.0.1')
	})

	it('is reported as not configured without AGENT_WORKER_URL', async () => {
		const d = await agent('node-d', {})
		expect((await check(d.url)).nodes[0]?.egressIp).toEqual({
			address: null,
			observedAt: null,
			error: 'not-configured',
		})
	})

	it('is never taken from an answer that is not signed by a holder of the secret', async () => {
		const e = await agent('node-e', { AGENT_WORKER_URL: unsignedUrl })
		expect((await check(e.url)).nodes[0]?.egressIp).toEqual({
			address: null,
			observedAt: null,
			error: 'unauthorized',
		})
		expect(e.stderr.join('\n')).toContain('"event":"egress-ip-failed"')
	})

	it('is refused by a Worker with another secret, and found again with the previous one (rotation)', async () => {
		const other = await serveEgressIpEcho({ secret: 'the-workers-newer-secret-0123' })
		try {
			const f = await agent('node-f', { AGENT_WORKER_URL: other.url })
			expect((await check(f.url)).nodes[0]?.egressIp?.error).toBe('unauthorized')
			// The agent holds the new secret first and the Worker's as the previous one.
			const g = await agent('node-g', {
				AGENT_WORKER_URL: other.url,
				AGENT_SECRET: 'an-agent-secret-rotated-0123',
				AGENT_SECRET_PREVIOUS: 'the-workers-newer-secret-0123',
			})
			const res = await postCheck(
				g.url,
				{ targets: [], requestId: rid() },
				{ secret: 'an-agent-secret-rotated-0123' },
			)
			const body = agentCheckResponseSchema.parse(res.json)
			expect(body.nodes[0]?.egressIp).toMatchObject({ address: '127.0.0.1', error: null })
		} finally {
			await other.close()
		}
	})

	it('never holds a check up: a Worker that does not answer costs nothing beyond the probe timeout', async () => {
		const h = await agent('node-h', { AGENT_WORKER_URL: `http://127.0.0.1:${silent.port}` })
		const body = await check(h.url, 300)
		expect(body.nodes[0]?.egressIp).toEqual({ address: null, observedAt: null, error: 'timeout' })
		expect(body.ms).toBeLessThan(1000)
	})
})
