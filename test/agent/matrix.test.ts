/**
 * Several agents as real processes on loopback, each a "node": the fan-out matrix, unreachable
 * peers, and its cost of about one probe timeout.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
	AGENT_CHECK_PATH,
	type AgentCheckResponse,
	type AgentNodeReport,
	agentCheckResponseSchema,
} from '../../src/contracts/agent.ts'
import { signAgentRequest } from '../../src/contracts/agent-signing.ts'
import { postCheck, rid, SECRET, startAgent, type TestAgent } from './helpers/agents.ts'
import {
	bannerServer,
	blackholeServer,
	freePort,
	httpServer,
	type TestServer,
} from './helpers/net.ts'

const TIMEOUT = 1500
const agents: TestAgent[] = []
const servers: TestServer[] = []
let a: TestAgent
let deadPeer: string
let http503: TestServer
let blackhole: TestServer
let banner: TestServer
let refused: number

beforeAll(async () => {
	http503 = await httpServer(503)
	blackhole = await blackholeServer()
	banner = await bannerServer()
	servers.push(http503, blackhole, banner)
	refused = await freePort()
	const [pa, pb, pc, pdead] = await Promise.all([freePort(), freePort(), freePort(), freePort()])
	const url = (p: number | undefined) => `http://127.0.0.1:${p}`
	deadPeer = url(pdead)
	// Every agent gets the same list, itself included: an agent must recognise its own answer.
	const peers = [url(pa), url(pb), url(pc), deadPeer]
	const started = await Promise.all([
		startAgent({ name: 'node-a', port: pa ?? 0, peers }),
		startAgent({ name: 'node-b', port: pb ?? 0, peers }),
		startAgent({ name: 'node-c', port: pc ?? 0, peers }),
	])
	agents.push(...started)
	a = started[0] as TestAgent
}, 30_000)

afterAll(async () => {
	for (const agent of agents) {
		agent.kill()
	}
	await Promise.all(servers.map((s) => s.close()))
})

function targets() {
	return [
		{ name: 'web', host: '127.0.0.1', port: a.port, probe: 'http' as const, path: '/healthz' },
		{ name: 'closed-port', host: '127.0.0.1', port: refused, probe: 'tcp' as const },
		{ name: 'silent-tls', host: '127.0.0.1', port: blackhole.port, probe: 'tls' as const },
		{ name: 'ssh-not-db', host: '127.0.0.1', port: banner.port, probe: 'postgres' as const },
		{ name: 'api-503', host: '127.0.0.1', port: http503.port, probe: 'http' as const },
		{ name: 'typo', host: 'no-such-db.invalid', port: 5432, probe: 'postgres' as const },
	]
}

const byNode = (body: AgentCheckResponse, node: string): AgentNodeReport | undefined =>
	body.nodes.find((n) => n.node === node)

describe('the node × target matrix', () => {
	let body: AgentCheckResponse
	let ms: number

	beforeAll(async () => {
		// Warm up first (module loading in fresh processes is not what is being measured).
		await postCheck(a.url, { targets: [], requestId: rid() })
		const res = await postCheck(a.url, { targets: targets(), timeoutMs: TIMEOUT, requestId: rid() })
		expect(res.status).toBe(200)
		body = agentCheckResponseSchema.parse(res.json)
		ms = res.ms
	}, 20_000)

	it('has one entry per node, the receiving agent first, a dead peer as unreachable', () => {
		expect(body.nodes.map((n) => n.node)).toEqual([
			'node-a',
			'node-b',
			'node-c',
			new URL(deadPeer).host,
		])
		const dead = body.nodes[3]
		expect(dead).toMatchObject({ reachable: false, error: 'refused', peer: deadPeer, results: [] })
		expect(body.discovery).toEqual({ source: 'static', peers: 4, error: null })
	})

	it('gives every reachable node the same verdict per target', () => {
		for (const name of ['node-a', 'node-b', 'node-c']) {
			const node = byNode(body, name)
			expect(node?.reachable).toBe(true)
			const got = Object.fromEntries((node?.results ?? []).map((r) => [r.target, r.error]))
			expect(got).toEqual({
				web: null,
				'closed-port': 'refused',
				'silent-tls': 'timeout',
				'ssh-not-db': 'not-postgres',
				'api-503': 'http-status',
				typo: 'dns',
			})
		}
	})

	it('costs about one probe timeout, not one per node or per target', () => {
		expect(ms).toBeGreaterThanOrEqual(TIMEOUT - 50)
		expect(ms).toBeLessThan(2 * TIMEOUT)
	})

	it('probes only the receiving agent with fanout false', async () => {
		const res = await postCheck(agents[1]?.url ?? '', {
			targets: targets().slice(0, 2),
			timeoutMs: TIMEOUT,
			fanout: false,
			requestId: rid(),
		})
		const only = agentCheckResponseSchema.parse(res.json)
		expect(only.nodes.map((n) => n.node)).toEqual(['node-b'])
		expect(only.discovery).toBeUndefined()
	})

	it('never logs the secret or a signature', () => {
		for (const agent of agents) {
			const logs = [...agent.stdout, ...agent.stderr].join('\n')
			expect(logs).not.toContain(SECRET)
			expect(logs).not.toMatch(/sha256=[0-9a-f]{64}/)
			for (const line of agent.stdout) {
				expect(() => JSON.parse(line)).not.toThrow()
			}
		}
	})
})

describe('peers that cannot answer', () => {
	it('marks a silent peer unreachable after timeout + grace, and keeps the rest', async () => {
		const silent = await blackholeServer()
		servers.push(silent)
		const silentUrl = `http://127.0.0.1:${silent.port}`
		const d = await startAgent({
			name: 'node-d',
			port: await freePort(),
			peers: [a.url, silentUrl],
		})
		agents.push(d)
		const res = await postCheck(d.url, {
			targets: targets().slice(0, 2),
			timeoutMs: 500,
			requestId: rid(),
		})
		const body = agentCheckResponseSchema.parse(res.json)
		expect(body.nodes.map((n) => [n.node, n.reachable, n.error])).toEqual([
			['node-d', true, null],
			['node-a', true, null],
			[`127.0.0.1:${silent.port}`, false, 'timeout'],
		])
		expect(byNode(body, 'node-a')?.results).toHaveLength(2)
		// 500 ms probe timeout + 500 ms grace (AGENT_PEER_GRACE_MS in the helper)
		expect(res.ms).toBeGreaterThanOrEqual(950)
		expect(res.ms).toBeLessThan(2500)
	})

	it('marks a peer with another secret unreachable (unauthorized), named as last seen', async () => {
		const port = await freePort()
		const url = `http://127.0.0.1:${port}`
		const e1 = await startAgent({ name: 'node-e', port, peers: [] })
		agents.push(e1)
		const f = await startAgent({ name: 'node-f', port: await freePort(), peers: [url] })
		agents.push(f)
		const first = agentCheckResponseSchema.parse(
			(await postCheck(f.url, { targets: [], requestId: rid() })).json,
		)
		expect(first.nodes.map((n) => n.node)).toEqual(['node-f', 'node-e'])
		e1.kill()
		await e1.exited
		const e2 = await startAgent({
			name: 'node-e',
			port,
			peers: [],
			env: { AGENT_SECRET: 'a-different-secret-0123456789' },
		})
		agents.push(e2)
		const second = agentCheckResponseSchema.parse(
			(await postCheck(f.url, { targets: [], requestId: rid() })).json,
		)
		expect(second.nodes[1]).toMatchObject({
			node: 'node-e',
			reachable: false,
			error: 'unauthorized',
			peer: url,
		})
	})
})

describe('authenticated peers', () => {
	it('marks a peer whose answer is not signed for this request unreachable (unauthorized)', async () => {
		// Answers a perfect one-node matrix, but without the secret it cannot sign it.
		const impostor = createServer((req, res) => {
			let text = ''
			req.on('data', (c: Buffer) => {
				text += c.toString('utf8')
			})
			req.on('end', () => {
				const { requestId } = JSON.parse(text) as { requestId: string }
				res.writeHead(200, { 'content-type': 'application/json' })
				res.end(
					JSON.stringify({
						requestId,
						nodes: [
							{
								node: 'node-forged',
								reachable: true,
								error: null,
								observedAt: Date.now(),
								durationMs: 1,
								results: [],
							},
						],
					}),
				)
			})
		})
		await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve))
		const impostorUrl = `http://127.0.0.1:${(impostor.address() as AddressInfo).port}`
		const i = await startAgent({ name: 'node-i', port: await freePort(), peers: [impostorUrl] })
		agents.push(i)
		const body = agentCheckResponseSchema.parse(
			(await postCheck(i.url, { targets: [], requestId: rid() })).json,
		)
		expect(body.nodes.map((n) => [n.node, n.reachable, n.error])).toEqual([
			['node-i', true, null],
			[new URL(impostorUrl).host, false, 'unauthorized'],
		])
		impostor.close()
	})

	it('lets no peer answer again a request another agent fanned out to it (every agent shares the public name)', async () => {
		// Like the tunnel's hostname in production, one name all three agents answer to.
		const shared = 'tidegate-agent.test'
		const [pj, pk, pl] = await Promise.all([freePort(), freePort(), freePort()])
		const url = (p: number) => `http://127.0.0.1:${p}`
		const env = { AGENT_HOSTNAMES: shared }
		const [j, k, l] = await Promise.all([
			startAgent({ name: 'node-j', port: pj, peers: [url(pk)], env }),
			startAgent({ name: 'node-k', port: pk, peers: [], env }),
			startAgent({ name: 'node-l', port: pl, peers: [], env }),
		])
		agents.push(j, k, l)
		const text = JSON.stringify({ targets: [], requestId: rid() })
		const headers = await signAgentRequest({
			secret: SECRET,
			method: 'POST',
			host: shared,
			path: AGENT_CHECK_PATH,
			body: text,
		})
		const first = await postCheck(j.url, text, { headers })
		expect(agentCheckResponseSchema.parse(first.json).nodes.map((n) => n.node)).toEqual([
			'node-j',
			'node-k',
		])
		// Captured on its way to node-j and sent to node-k, which took part in the fan-out: refused.
		const replayed = await postCheck(k.url, text, { headers })
		expect(replayed.status).toBe(401)
		expect(replayed.json).toMatchObject({ error: { message: 'signature already used' } })
		// node-l was not a peer of node-j, so only its own cache protects it: it accepts once.
		expect((await postCheck(l.url, text, { headers })).status).toBe(200)
		expect((await postCheck(l.url, text, { headers })).status).toBe(401)
	})
})

describe('peers from DNS (AGENT_PEER_SERVICE)', () => {
	it("asks every address the name resolves to, and drops this pod's own", async () => {
		// `localhost` stands in for the headless Service: its A record is the peer; POD_IP drops ::1.
		const g = await startAgent({
			name: 'node-g',
			port: await freePort(),
			env: {
				AGENT_PEER_SERVICE: 'localhost',
				AGENT_PEER_PORT: String(a.port),
				POD_IP: '::1',
			},
		})
		agents.push(g)
		const body = agentCheckResponseSchema.parse(
			(await postCheck(g.url, { targets: [], requestId: rid() })).json,
		)
		expect(body.nodes.map((n) => [n.node, n.reachable])).toEqual([
			['node-g', true],
			['node-a', true],
		])
		expect(body.nodes[1]?.peer).toBe(a.url)
		expect(body.discovery).toMatchObject({ source: 'dns', peers: 1, error: null })
	})

	it('reports a name that does not resolve, and still answers for itself', async () => {
		const h = await startAgent({
			name: 'node-h',
			port: await freePort(),
			env: { AGENT_PEER_SERVICE: 'no-such-service.invalid' },
		})
		agents.push(h)
		const body = agentCheckResponseSchema.parse(
			(await postCheck(h.url, { targets: [], requestId: rid() })).json,
		)
		expect(body.nodes.map((n) => n.node)).toEqual(['node-h'])
		expect(body.discovery?.error).toContain('no-such-service.invalid')
	})
})
