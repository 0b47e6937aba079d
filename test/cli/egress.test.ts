/**
 * `tidegate egress`: the real bin against a stand-in of the Worker's admin API on loopback, whose
 * answers are checked against the route's own schema (`egressCheckAnswerSchema`), so the CLI is
 * tested against the contract the Worker serves.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type EgressCheckAnswer, egressCheckAnswerSchema } from '../../src/http/api/egress.ts'
import { tidegate } from './support/run.ts'

const TOKEN = 'cli-admin-token-0123456789'
const AT = '2026-11-26T12:02:00.000Z'

const node = (name: string, egressIp: string | null) => ({
	node: name,
	reachable: true,
	error: null,
	message: null,
	observedAt: AT,
	durationMs: 812,
	stale: false,
	missing: false,
	egressIp,
	egressIpObservedAt: egressIp ? AT : null,
	egressIpError: egressIp ? null : 'not-configured',
	track: { state: 'ok' as const, since: AT },
})

const cell = (n: string, target: string, observed: 'ok' | 'failing' | 'unknown') => ({
	node: n,
	target,
	observed,
	ok: observed === 'unknown' ? null : observed === 'ok',
	unknownReason: observed === 'unknown' ? 'agent-unreachable' : null,
	latencyMs: observed === 'ok' ? 3.1 : observed === 'failing' ? 800 : null,
	error: observed === 'failing' ? 'timeout' : null,
	phase: observed === 'failing' ? 'handshake' : null,
	message: observed === 'failing' ? 'no answer within the timeout during handshake' : null,
	note: null,
	phases: observed === 'unknown' ? null : { connect: 0.4 },
	detail: observed === 'unknown' ? null : {},
	observedAt: AT,
	track: null,
	outage: null,
})

/** The seed's world: node-c is not on the database's allowlist. */
function answer(dbOnNodeC: 'ok' | 'failing' | 'unknown'): EgressCheckAnswer {
	const partial = dbOnNodeC === 'failing'
	return egressCheckAnswerSchema.parse({
		summary: `3 nodes × 1 targets: ${partial ? '2 ok, 1 failing' : '3 ok, 0 failing'}, 0 unknown`,
		check: {
			id: 41,
			status: 'ok',
			startedAt: AT,
			finishedAt: AT,
			durationMs: 900,
			commitSha: 'a'.repeat(40),
			targetsFrom: 'head',
			requestId: 'egress-41-abc',
			agentError: null,
			note: null,
		},
		lastAttempt: null,
		agent: { state: 'ok', since: AT },
		nodes: [
			node('node-a', '203.0.113.7'),
			node('node-b', '203.0.113.8'),
			node('node-c', '198.51.100.9'),
		],
		targets: [
			{
				name: 'labelfish-db',
				host: 'db.example.com',
				port: 5432,
				probe: 'postgres',
				tls: false,
				path: null,
				expectStatus: null,
				source: 'config',
				hostnames: [],
				edge: { probed: true, reason: null, ok: true, latencyMs: 12, error: null, message: null },
				verdict: {
					kind: partial ? 'partial' : 'ok',
					text: partial
						? "node-c cannot reach it (timeout) while node-a, node-b can; the edge reaches it: a node-level firewall or route, or the target's IP allowlist missing 198.51.100.9 (node-c)"
						: 'reachable from every node that answered',
					okNodes: partial ? ['node-a', 'node-b'] : ['node-a', 'node-b', 'node-c'],
					failingNodes: partial ? ['node-c'] : [],
					unknownNodes: [],
					edge: 'ok',
					allowlistGaps: partial ? ['198.51.100.9'] : [],
				},
			},
		],
		cells: [
			cell('node-a', 'labelfish-db', 'ok'),
			cell('node-b', 'labelfish-db', 'ok'),
			cell('node-c', 'labelfish-db', dbOnNodeC),
		],
		expectations: [
			{
				target: 'labelfish-db',
				nodes: 'all',
				status: partial ? 'unmet' : dbOnNodeC === 'unknown' ? 'unknown' : 'met',
				okNodes: [],
				failingNodes: [],
				unknownNodes: [],
				text: `every node must reach labelfish-db: ${partial ? 'unmet (node-c cannot)' : 'met'}`,
			},
		],
		skipped: [],
		openOutages: [],
		history: null,
	})
}

/** What the stand-in answers next, and what it received. */
let reply: { status: number; body: unknown }
const received: { authorization: string | undefined; body: unknown }[] = []
let server: Server
let base: string

beforeAll(async () => {
	server = createServer((request: IncomingMessage, response) => {
		let text = ''
		request.on('data', (c: Buffer) => {
			text += c.toString('utf8')
		})
		request.on('end', () => {
			received.push({
				authorization: request.headers.authorization,
				body: JSON.parse(text || '{}'),
			})
			const authorized = request.headers.authorization === `Bearer ${TOKEN}`
			const ok = request.method === 'POST' && request.url === '/api/egress/check'
			const [status, body] = !ok
				? [404, { error: { code: 'not_found', message: 'no route' } }]
				: !authorized
					? [401, { error: { code: 'unauthorized', message: 'admin credentials required' } }]
					: [reply.status, reply.body]
			response.writeHead(status, { 'content-type': 'application/json' })
			response.end(JSON.stringify(body))
		})
	})
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
	base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => server.close())
beforeEach(() => {
	received.length = 0
	reply = { status: 200, body: answer('ok') }
})

const env = (overrides: Record<string, string | undefined> = {}) => ({
	...process.env,
	TIDEGATE_URL: base,
	TIDEGATE_ADMIN_TOKEN: TOKEN,
	...overrides,
})

describe('tidegate egress', () => {
	it("prints the matrix with each node's egress IP and the verdicts, and exits 0 when all is reachable", async () => {
		const run = await tidegate(['egress'], env())
		expect(run.stderr).toBe('')
		expect(run.status).toBe(0)
		expect(run.stdout.split('\n')).toEqual([
			'egress check #41 of 2026-11-26T12:02:00.000Z: 3 nodes × 1 targets: 3 ok, 0 failing, 0 unknown',
			'',
			'node               egress IP     labelfish-db',
			'node-a             203.0.113.7   ✓ 3.1 ms',
			'node-b             203.0.113.8   ✓ 3.1 ms',
			'node-c             198.51.100.9  ✓ 3.1 ms',
			'edge (Cloudflare)                ✓ 12 ms',
			'',
			'labelfish-db: ok — reachable from every node that answered',
			'',
			'✓ every node must reach labelfish-db: met',
			'',
		])
		expect(received).toEqual([{ authorization: `Bearer ${TOKEN}`, body: {} }])
	})

	it('exits 1 when a required node cannot reach a target, naming both possible causes', async () => {
		reply = { status: 200, body: answer('failing') }
		const run = await tidegate(['egress', '--timeout', '2000'], env())
		expect(run.status).toBe(1)
		expect(run.stdout).toContain('node-c             198.51.100.9  ✗ timeout (handshake)')
		expect(run.stdout).toContain(
			"labelfish-db: partial — node-c cannot reach it (timeout) while node-a, node-b can; the edge reaches it: a node-level firewall or route, or the target's IP allowlist missing 198.51.100.9 (node-c)",
		)
		expect(received[0]?.body).toEqual({ timeoutMs: 2000 })
	})

	it('exits 2 when nothing required fails but some cell is unknown', async () => {
		reply = { status: 200, body: answer('unknown') }
		const run = await tidegate(['egress'], env())
		expect(run.status).toBe(2)
		expect(run.stdout).toContain('? agent-unreachable')
	})

	it('prints the API answer as it is with --json', async () => {
		const run = await tidegate(['egress', '--json'], env())
		expect(run.status).toBe(0)
		expect(JSON.parse(run.stdout)).toEqual(answer('ok'))
	})

	it("exits 1 with the Worker's reason when it refuses (wrong token, a check already running)", async () => {
		const denied = await tidegate(['egress'], env({ TIDEGATE_ADMIN_TOKEN: 'wrong' }))
		expect(denied.status).toBe(1)
		expect(denied.stderr).toBe(
			`tidegate egress: ${base} answered HTTP 401: admin credentials required (check TIDEGATE_ADMIN_TOKEN)\n`,
		)
		expect(denied.stderr).not.toContain('wrong')
		reply = {
			status: 409,
			body: { error: { code: 'conflict', message: 'another egress check is still running' } },
		}
		const busy = await tidegate(['egress'], env())
		expect(busy.status).toBe(1)
		expect(busy.stderr).toBe(
			`tidegate egress: ${base} answered HTTP 409: another egress check is still running\n`,
		)
	})

	it('exits 1 naming what is missing or unreachable', async () => {
		const noUrl = await tidegate(['egress'], env({ TIDEGATE_URL: '' }))
		expect(noUrl.status).toBe(1)
		expect(noUrl.stderr).toContain('set TIDEGATE_URL')
		const noToken = await tidegate(['egress'], env({ TIDEGATE_ADMIN_TOKEN: undefined }))
		expect(noToken.stderr).toContain('set TIDEGATE_ADMIN_TOKEN')
		const closed = await tidegate(['egress'], env({ TIDEGATE_URL: 'http://127.0.0.1:1' }))
		expect(closed.status).toBe(1)
		expect(closed.stderr).toMatch(/^tidegate egress: could not reach http:\/\/127\.0\.0\.1:1: /)
		const notTidegate = await tidegate(['egress'], env({ TIDEGATE_URL: `${base}/elsewhere` }))
		expect(notTidegate.status).toBe(1)
		expect(notTidegate.stderr).toContain('answered HTTP 404')
	})

	it('exits 64 on a bad timeout or an unknown option', async () => {
		for (const args of [
			['--timeout', '50'],
			['--timeout', 'soon'],
			['--timeout'],
			['--verbose'],
			['x'],
		]) {
			const run = await tidegate(['egress', ...args], env())
			expect(run.status, args.join(' ')).toBe(64)
			expect(run.stderr).toMatch(/^tidegate egress: /)
		}
	})
})
