/**
 * `GET /api/egress`: auth, the matrix's shape, egress IPs, filters, cell history paging, unknown
 * cells; `POST /api/egress/check`: a check on demand.
 */
import { env, exports } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { checkEgress } from '../../src/app/egress/check.ts'
import { createApp } from '../../src/http/app.ts'
import {
	commitYaml,
	egressDeps,
	egressYaml,
	FAST,
	net,
	resetEgress,
	rows,
	SEED_TARGETS,
} from './support/egress.ts'
import { useEdge } from './support/network.ts'

const edge = useEdge()
const TOKEN = 'test-admin-token-0123456789abcdef'
const get = (
	path: string,
	headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` },
) => exports.default.fetch(new Request(`https://tidegate.test${path}`, { headers }))

// biome-ignore lint/suspicious/noExplicitAny: assertions walk an untyped JSON answer
type Json = any

async function json(path: string): Promise<Json> {
	const res = await get(path)
	expect(res.status).toBe(200)
	return res.json()
}

describe('before any check', () => {
	beforeAll(async () => {
		await resetEgress()
	})

	it('needs admin credentials', async () => {
		const res = await get('/api/egress', {})
		expect(res.status).toBe(401)
		expect(await res.json()).toMatchObject({ error: { code: 'unauthorized' } })
		expect((await get('/api/egress', { authorization: 'Bearer nope' })).status).toBe(401)
	})

	it('answers an empty matrix', async () => {
		expect(await json('/api/egress')).toEqual({
			check: null,
			lastAttempt: null,
			agent: null,
			nodes: [],
			targets: [],
			cells: [],
			expectations: [],
			skipped: [],
			openOutages: [],
			history: null,
		})
	})
})

describe('after checks', () => {
	beforeAll(async () => {
		await edge.github.reset()
		await resetEgress()
		await commitYaml(
			edge,
			egressYaml({
				targets: [
					...SEED_TARGETS,
					// The agent protocol refuses this host: skipped with the reason, not sent.
					{ name: 'bad-host', host: 'db.example.com/5432', port: 5432 },
				],
				expect: [
					{ target: 'labelfish-db', nodes: 'all' },
					{ target: 'app', nodes: ['node-a', 'node-z'] },
				],
			}),
		)
		const { deps } = egressDeps()
		for (let i = 0; i < 3; i++) {
			await checkEgress(deps, FAST)
		}
	}, 30_000)

	it('returns the matrix: nodes × targets with ok, latency, error, phases, the damped state', async () => {
		const body = await json('/api/egress')
		expect(body.check).toMatchObject({
			status: 'ok',
			targetsFrom: 'head',
			agentError: null,
			note: null,
		})
		expect(body.check.commitSha).toMatch(/^[0-9a-f]{40}$/)
		expect(body.check.startedAt).toMatch(/^\d{4}-\d\d-\d\dT/)
		expect(body.lastAttempt).toBeNull()
		expect(body.agent).toMatchObject({ state: 'ok' })
		expect(body.nodes.map((n: Json) => [n.node, n.reachable, n.track.state])).toEqual([
			['node-a', true, 'ok'],
			['node-b', true, 'ok'],
			['node-c', true, 'ok'],
		])
		// Each node's public egress IP, as the Worker's echo saw its agent.
		expect(body.nodes.map((n: Json) => [n.node, n.egressIp, n.egressIpError])).toEqual(
			net.nodes.map((n) => [n.name, n.source, null]),
		)
		expect(body.nodes[0].egressIpObservedAt).toMatch(/Z$/)
		expect(body.cells).toHaveLength(6)
		const cut = body.cells.find((c: Json) => c.node === 'node-c' && c.target === 'labelfish-db')
		expect(cut).toMatchObject({
			observed: 'failing',
			ok: false,
			error: 'timeout',
			phase: 'handshake',
			unknownReason: null,
			track: { state: 'failing' },
		})
		expect(cut.outage.startedAt).toMatch(/Z$/)
		expect(cut.phases.connect).toBeGreaterThanOrEqual(0)
		const good = body.cells.find((c: Json) => c.node === 'node-a' && c.target === 'labelfish-db')
		expect(good).toMatchObject({ observed: 'ok', ok: true, error: null, outage: null })
		expect(good.latencyMs).toBeGreaterThan(0)
		expect(good.detail.postgres).toEqual({ ssl: false })
	})

	it('gives each target the edge probe result and the verdict', async () => {
		const body = await json('/api/egress')
		const db = body.targets.find((t: Json) => t.name === 'labelfish-db')
		expect(db).toMatchObject({
			host: '127.0.0.1',
			port: net.ports.db,
			probe: 'postgres',
			tls: false,
			source: 'config',
			edge: { probed: true, reason: null, ok: true, error: null },
			verdict: { kind: 'partial', failingNodes: ['node-c'], edge: 'ok' },
		})
		expect(body.skipped).toEqual([
			{
				name: 'bad-host',
				reason:
					'not a valid agent target: host: must be a hostname or an IP address (IPv6 without brackets)',
			},
		])
	})

	it('says which expectations are met, unmet or unknown', async () => {
		const body = await json('/api/egress')
		expect(body.expectations).toEqual([
			{
				target: 'labelfish-db',
				nodes: 'all',
				status: 'unmet',
				okNodes: ['node-a', 'node-b'],
				failingNodes: ['node-c'],
				unknownNodes: [],
				text: 'every node must reach labelfish-db: node-c cannot',
			},
			{
				target: 'app',
				nodes: ['node-a', 'node-z'],
				status: 'unknown',
				okNodes: ['node-a'],
				failingNodes: [],
				unknownNodes: ['node-z'],
				text: 'node-a, node-z must reach app: unknown on node-z',
			},
		])
	})

	it('puts an unmet expectation in the overall health of GET /api/status', async () => {
		const body = await json('/api/status')
		expect(body.health.state).toBe('bad')
		expect(body.health.problems).toContain(
			'Egress: every node must reach labelfish-db: node-c cannot',
		)
		expect(body.egress).toMatchObject({
			checkedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
			expectations: { met: 0, unmet: 1, unknown: 1 },
		})
		expect(body.egress.openOutages).toBeGreaterThan(0)
	})

	it('lists open outages with their length so far', async () => {
		const body = await json('/api/egress')
		expect(body.openOutages).toHaveLength(1)
		expect(body.openOutages[0]).toMatchObject({
			node: 'node-c',
			target: 'labelfish-db',
			open: true,
			endedAt: null,
			firstError: 'timeout',
			lastError: 'timeout',
			failingSamples: 3,
			endReason: null,
		})
		expect(body.openOutages[0].durationMs).toBeGreaterThan(0)
	})

	it('filters by node and by target', async () => {
		const byNode = await json('/api/egress?node=node-c')
		expect(byNode.nodes.map((n: Json) => n.node)).toEqual(['node-c'])
		expect(byNode.cells.map((c: Json) => c.target)).toEqual(['labelfish-db', 'app'])
		expect(byNode.targets).toHaveLength(2)
		expect(byNode.history).toBeNull()
		const byTarget = await json('/api/egress?target=app')
		expect(byTarget.targets.map((t: Json) => t.name)).toEqual(['app'])
		expect(byTarget.cells.map((c: Json) => c.node)).toEqual(['node-a', 'node-b', 'node-c'])
		expect(byTarget.expectations.map((e: Json) => e.target)).toEqual(['app'])
		expect(byTarget.openOutages).toEqual([])
	})

	it("pages one cell's history, newest first, with its outage windows", async () => {
		const first = await json('/api/egress?node=node-c&target=labelfish-db&limit=2')
		expect(first.cells).toHaveLength(1)
		expect(first.history.items).toHaveLength(2)
		expect(first.history.items[0]).toMatchObject({
			observed: 'failing',
			ok: false,
			error: 'timeout',
		})
		expect(first.history.items[0].id).toBeGreaterThan(first.history.items[1].id)
		expect(first.history.nextCursor).toBe(String(first.history.items[1].id))
		expect(first.history.outages).toHaveLength(1)
		const second = await json(
			`/api/egress?node=node-c&target=labelfish-db&limit=2&cursor=${first.history.nextCursor}`,
		)
		expect(second.history.items).toHaveLength(1)
		expect(second.history.nextCursor).toBeNull()
		const none = await json('/api/egress?node=node-z&target=app')
		expect(none.history).toMatchObject({ items: [], nextCursor: null, outages: [] })
	})

	it("shows each node's egress IP and a button that checks now on the dashboard", async () => {
		const res = await get('/')
		expect(res.status).toBe(200)
		const html = await res.text()
		for (const node of net.nodes) {
			expect(html).toContain(`egress ${node.source}`)
		}
		expect(html).toContain('data-action="/api/egress/check"')
		expect(html).toContain('IP allowlist missing 127.0.0.4 (node-c)')
	})

	it('refuses bad queries with the error envelope', async () => {
		for (const query of ['cursor=5', 'node=node-c&target=app&cursor=abc', 'limit=0', 'limit=500']) {
			const res = await get(`/api/egress?${query}`)
			expect(res.status, query).toBe(400)
			expect(await res.json()).toMatchObject({ error: { code: 'bad_request' } })
		}
	})

	it('is described in the OpenAPI document', async () => {
		const doc = await json('/api/openapi.json')
		expect(doc.paths['/egress'].get.parameters.map((p: Json) => p.name).sort()).toEqual([
			'cursor',
			'limit',
			'node',
			'target',
		])
		expect(Object.keys(doc.paths['/egress/check'].post.responses).sort()).toEqual([
			'200',
			'400',
			'409',
			'503',
		])
		const node = doc.components.schemas.Egress.properties.nodes.items.properties
		expect(Object.keys(node)).toEqual(
			expect.arrayContaining(['egressIp', 'egressIpObservedAt', 'egressIpError']),
		)
	})

	it('shows cells as unknown, with the reason, after a failed agent call, keeping the damped state', async () => {
		const { deps } = egressDeps({ AGENT_URL: net.impostors.html })
		await checkEgress(deps, FAST)
		const body = await json('/api/egress')
		expect(body.check).toMatchObject({
			status: 'agent_failed',
			agentError: { code: 'html' },
		})
		expect(body.agent.state).toBe('ok') // one failure is not yet an agent outage
		for (const c of body.cells) {
			expect(c).toMatchObject({
				observed: 'unknown',
				ok: null,
				unknownReason: 'agent-unreachable',
				latencyMs: null,
				error: null,
			})
		}
		const cut = body.cells.find((c: Json) => c.node === 'node-c' && c.target === 'labelfish-db')
		expect(cut.track.state).toBe('failing')
		expect(body.nodes.every((n: Json) => n.reachable === null)).toBe(true)
		expect(body.openOutages).toHaveLength(1)
		expect(body.targets.find((t: Json) => t.name === 'labelfish-db').verdict.kind).toBe('unknown')
	})
})

describe('POST /api/egress/check (on demand)', () => {
	const post = (
		body: unknown,
		headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` },
	) =>
		exports.default.fetch(
			new Request('https://tidegate.test/api/egress/check', {
				method: 'POST',
				headers: { 'content-type': 'application/json', ...headers },
				body: JSON.stringify(body),
			}),
		)

	beforeAll(async () => {
		await edge.github.reset()
		await resetEgress()
		await commitYaml(edge, egressYaml({ targets: SEED_TARGETS }))
	})

	it('needs admin credentials', async () => {
		expect((await post({}, {})).status).toBe(401)
		expect(await rows('SELECT id FROM egress_checks')).toEqual([])
	})

	it('runs a check now and answers with its matrix within one probe timeout', async () => {
		const started = Date.now()
		const res = await post({ timeoutMs: 800 })
		const took = Date.now() - started
		expect(res.status).toBe(200)
		const body = (await res.json()) as Json
		expect(body.summary).toBe('3 nodes × 2 targets: 5 ok, 1 failing, 0 unknown')
		expect(body.check.status).toBe('ok')
		expect(body.cells).toHaveLength(6)
		expect(body.nodes.map((n: Json) => n.egressIp)).toEqual(net.nodes.map((n) => n.source))
		const db = body.targets.find((t: Json) => t.name === 'labelfish-db')
		expect(db.verdict).toMatchObject({ kind: 'partial', allowlistGaps: ['127.0.0.4'] })
		// node-c's probe runs into the 800 ms timeout; the answer follows at once.
		expect(took).toBeGreaterThanOrEqual(800)
		expect(took).toBeLessThan(800 + 2500)
		expect(await rows('SELECT status FROM egress_checks')).toEqual([{ status: 'ok' }])
	})

	it('answers 409 while another check holds the lease, and probes nothing', async () => {
		const { deps } = egressDeps()
		await deps.egress.begin(Date.now(), 4 * 60 * 1000)
		const res = await post({})
		expect(res.status).toBe(409)
		expect(await res.json()).toMatchObject({
			error: { code: 'conflict', message: 'another egress check is still running' },
		})
		await resetEgress()
	})

	it('answers 503 when no agent is configured, naming what is missing', async () => {
		const app = createApp(async (c, next) => {
			c.set('deps', egressDeps({ AGENT_URL: '' }).deps)
			await next()
		})
		const res = await app.fetch(
			new Request('https://tidegate.test/api/egress/check', {
				method: 'POST',
				headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
				body: '{}',
			}),
			env,
		)
		expect(res.status).toBe(503)
		expect(await res.json()).toMatchObject({
			error: { code: 'unavailable', message: 'not configured: AGENT_URL' },
		})
	})

	it('refuses a timeout out of bounds', async () => {
		const res = await post({ timeoutMs: 50 })
		expect(res.status).toBe(400)
		expect(await res.json()).toMatchObject({ error: { code: 'bad_request' } })
	})
})
