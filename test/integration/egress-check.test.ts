/**
 * The egress check inside workerd against real agent processes on loopback: the matrix, the
 * seed's firewall case told apart from a target that is down, expectations, ingress-derived
 * targets, outage windows, and the cron wiring.
 */
import { createExecutionContext, createScheduledController } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { checkEgress } from '../../src/app/egress/check.ts'
import worker from '../../workers/index.ts'
import {
	alerts,
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

beforeEach(async () => {
	edge.cloudflare.reset()
	await edge.github.reset()
	await resetEgress()
})

interface SampleRow {
	node: string
	target: string
	observed: string
	error: string | null
	phase: string | null
	unknown_reason: string | null
	latency_ms: number | null
	detail: string | null
}

const cell = (samples: SampleRow[], node: string, target: string) =>
	samples.find((s) => s.node === node && s.target === target)

async function latestReport() {
	const [row] = await rows<{ id: number; status: string; report: string }>(
		'SELECT id, status, report FROM egress_checks ORDER BY id DESC LIMIT 1',
	)
	if (!row) {
		throw new Error('no check recorded')
	}
	const samples = await rows<SampleRow>(
		'SELECT * FROM egress_samples WHERE check_id = ? ORDER BY id',
		row.id,
	)
	return { ...row, report: JSON.parse(row.report), samples }
}

describe('the node × target matrix from real agents', () => {
	it('stores every node × target cell of a healthy cluster, with latencies and phases', async () => {
		await commitYaml(
			edge,
			egressYaml({
				targets: [{ name: 'app', port: net.ports.app, probe: 'http' }],
				expect: [{ target: 'app', nodes: 'all' }],
			}),
		)
		const { deps } = egressDeps()
		const result = await checkEgress(deps, FAST)
		expect(result.outcome).toBe('ok')
		expect(result.detail).toBe(
			'3 nodes × 1 targets: 3 ok, 0 failing, 0 unknown; expectations 1/1 met',
		)
		const check = await latestReport()
		expect(check.status).toBe('ok')
		expect(check.samples.map((s) => [s.node, s.target, s.observed])).toEqual([
			['node-a', 'app', 'ok'],
			['node-b', 'app', 'ok'],
			['node-c', 'app', 'ok'],
		])
		for (const s of check.samples) {
			expect(s.latency_ms).toBeGreaterThan(0)
			const detail = JSON.parse(s.detail ?? '{}')
			expect(detail.phases.connect).toBeGreaterThanOrEqual(0)
			expect(detail.http).toEqual({ status: 200 })
		}
		expect(check.report.expectations).toMatchObject([{ target: 'app', status: 'met' }])
		expect(check.report.targets[0].verdict.kind).toBe('ok')
		expect(await rows('SELECT kind, node, state FROM egress_tracks ORDER BY kind, node')).toEqual([
			{ kind: 'agent', node: '', state: 'ok' },
			{ kind: 'cell', node: 'node-a', state: 'ok' },
			{ kind: 'cell', node: 'node-b', state: 'ok' },
			{ kind: 'cell', node: 'node-c', state: 'ok' },
			{ kind: 'node', node: 'node-a', state: 'ok' },
			{ kind: 'node', node: 'node-b', state: 'ok' },
			{ kind: 'node', node: 'node-c', state: 'ok' },
		])
	})

	it("shows the seed's case as one node cut off from the database, not a database outage, naming its egress IP", async () => {
		await commitYaml(
			edge,
			egressYaml({
				targets: SEED_TARGETS,
				expect: [
					{ target: 'labelfish-db', nodes: 'all' },
					{ target: 'app', nodes: 'all' },
				],
			}),
		)
		const { deps } = egressDeps()
		const result = await checkEgress(deps, FAST)
		expect(result.detail).toBe(
			'3 nodes × 2 targets: 5 ok, 1 failing, 0 unknown; expectations 1/2 met',
		)
		const check = await latestReport()
		const cut = cell(check.samples, net.cutOffNode, 'labelfish-db')
		expect(cut).toMatchObject({ observed: 'failing', error: 'timeout', phase: 'handshake' })
		expect(cell(check.samples, 'node-a', 'labelfish-db')?.observed).toBe('ok')
		const db = check.report.targets.find((t: { name: string }) => t.name === 'labelfish-db')
		expect(db.edgeResult).toMatchObject({ ok: true, error: null })
		expect(db.verdict).toMatchObject({
			kind: 'partial',
			failingNodes: ['node-c'],
			okNodes: ['node-a', 'node-b'],
			edge: 'ok',
		})
		expect(db.verdict.text).toContain('node-c cannot reach it (timeout) while node-a, node-b can')
		expect(db.verdict.text).toContain('the edge reaches it')
		// The database's allowlist drops node-c's address: the verdict names it as a possible cause.
		expect(db.verdict.text).toContain(
			"a node-level firewall or route, or the target's IP allowlist missing 127.0.0.4 (node-c)",
		)
		expect(db.verdict.allowlistGaps).toEqual(['127.0.0.4'])
		expect(
			check.report.nodes.map((n: { node: string; egressIp: string }) => [n.node, n.egressIp]),
		).toEqual(net.nodes.map((n) => [n.name, n.source]))
		expect(check.report.expectations).toMatchObject([
			{ target: 'labelfish-db', status: 'unmet', failingNodes: ['node-c'] },
			{ target: 'app', status: 'met' },
		])
	})

	it('tells "down everywhere" (nodes and edge fail) from "the cluster cannot get out" (edge reaches it)', async () => {
		await commitYaml(
			edge,
			egressYaml({
				targets: [
					{ name: 'gone-db', port: net.ports.refused, probe: 'postgres' },
					{ name: 'walled-db', port: net.ports.walled, probe: 'postgres' },
					{ name: 'private-db', host: '10.0.3.7', port: 5432, probe: 'tcp' },
				],
			}),
		)
		const { deps } = egressDeps()
		await checkEgress(deps, { ...FAST, probeTimeoutMs: 300 })
		const check = await latestReport()
		const byName = (name: string) =>
			check.report.targets.find((t: { name: string }) => t.name === name)
		expect(byName('gone-db').edgeResult).toMatchObject({ ok: false, error: 'refused' })
		expect(byName('gone-db').verdict.kind).toBe('down')
		expect(byName('gone-db').verdict.text).toMatch(/^down everywhere: no node \(refused\)/)
		expect(byName('walled-db').edgeResult).toMatchObject({ ok: true })
		expect(byName('walled-db').verdict.kind).toBe('cluster')
		expect(byName('walled-db').verdict.text).toContain('the cluster cannot get out')
		// A private address is not probed from the edge: nothing could be learnt there.
		expect(byName('private-db').edge).toEqual({
			probe: false,
			reason: 'private address: not reachable from the edge',
		})
		expect(byName('private-db').edgeResult).toBeNull()
	})

	it('shows a node whose agent is down as unknown, never as failing targets', async () => {
		await commitYaml(
			edge,
			egressYaml({ targets: [{ name: 'app', port: net.ports.app, probe: 'http' }] }),
		)
		const { deps } = egressDeps({ AGENT_URL: net.soloAgentUrl })
		const result = await checkEgress(deps, FAST)
		expect(result.detail).toBe('2 nodes × 1 targets: 1 ok, 0 failing, 1 unknown')
		const check = await latestReport()
		const down = check.report.nodes.find((n: { node: string }) => n.node !== 'node-solo')
		expect(down).toMatchObject({ reachable: false, error: 'refused' })
		expect(cell(check.samples, down.node, 'app')).toMatchObject({
			observed: 'unknown',
			unknown_reason: 'node-unreachable',
		})
		expect(await rows('SELECT * FROM egress_outages')).toEqual([])
	})

	it('stores no byte a target sent: a web server probed as Postgres is reported by size only', async () => {
		await commitYaml(
			edge,
			egressYaml({ targets: [{ name: 'not-a-db', port: net.ports.app, probe: 'postgres' }] }),
		)
		const { deps } = egressDeps()
		await checkEgress(deps, FAST)
		const check = await latestReport()
		for (const s of check.samples) {
			expect(s).toMatchObject({ observed: 'failing', error: 'not-postgres' })
		}
		const stored = JSON.stringify(await rows('SELECT message, detail FROM egress_samples'))
		expect(stored).toMatch(/answered \d+ bytes to SSLRequest/)
		expect(stored).not.toMatch(/HTTP\/1\.1|Bad Request|label-studio/)
	})

	it('never has a node probe a cloud metadata address pushed in tidegate.yaml: unknown, and says why', async () => {
		await commitYaml(
			edge,
			egressYaml({
				targets: [{ name: 'imds', host: '169.254.169.254', port: 80, probe: 'http' }],
				expect: [{ target: 'imds', nodes: 'all' }],
			}),
		)
		const { deps, sent } = egressDeps()
		await checkEgress(deps, FAST)
		const result = await checkEgress(deps, FAST)
		expect(result.detail).toBe(
			'3 nodes × 1 targets: 0 ok, 0 failing, 3 unknown; expectations 0/1 met',
		)
		const check = await latestReport()
		for (const s of check.samples) {
			expect(s).toMatchObject({ observed: 'unknown', unknown_reason: 'blocked-address' })
		}
		expect(check.report.targets[0].verdict.text).toContain('the agents refuse to probe it')
		expect(await rows('SELECT * FROM egress_outages')).toEqual([])
		expect(alerts(sent)).toEqual([])
	})
})

describe('ingress-derived targets (checkIngressTargets)', () => {
	it("probes every ingress service and catches the Label Studio incident's wrong name and port", async () => {
		await commitYaml(
			edge,
			egressYaml({
				checkIngressTargets: true,
				ingress: [
					// Right: the service answers.
					{ hostname: 'label.example.com', service: `http://127.0.0.1:${net.ports.app}` },
					// The incident, part 1: a port nothing listens on.
					{ hostname: 'label-old.example.com', service: `http://localhost:${net.ports.refused}` },
					// Part 2: a service name that does not exist in the cluster.
					{
						hostname: 'label-typo.example.com',
						service: 'http://label-studio.apps.svc.cluster.local:8080',
					},
					// Nothing to probe: a fixed status.
					{ hostname: 'gone.example.com', service: 'http_status:410' },
				],
			}),
		)
		const { deps } = egressDeps()
		await checkEgress(deps, FAST)
		const check = await latestReport()
		const names = check.report.targets.map((t: { name: string }) => t.name)
		expect(names).toEqual([
			`ingress:http://127.0.0.1:${net.ports.app}`,
			`ingress:http://localhost:${net.ports.refused}`,
			'ingress:http://label-studio.apps.svc.cluster.local:8080',
		])
		const right = `ingress:http://127.0.0.1:${net.ports.app}`
		const wrongPort = `ingress:http://localhost:${net.ports.refused}`
		const wrongName = 'ingress:http://label-studio.apps.svc.cluster.local:8080'
		for (const node of ['node-a', 'node-b', 'node-c']) {
			expect(cell(check.samples, node, right)?.observed).toBe('ok')
			expect(cell(check.samples, node, wrongPort)).toMatchObject({
				observed: 'failing',
				error: 'refused',
			})
			expect(cell(check.samples, node, wrongName)).toMatchObject({
				observed: 'failing',
				error: 'dns',
			})
		}
		const typo = check.report.targets.find((t: { name: string }) => t.name === wrongName)
		expect(typo).toMatchObject({
			source: 'ingress',
			hostnames: ['label-typo.example.com'],
			edge: { probe: false, reason: 'cluster-internal name: not resolvable from the edge' },
		})
		expect(typo.verdict.kind).toBe('failing')
	})

	it('counts any HTTP answer from an ingress service as reachable (its 401 is not a routing fault)', async () => {
		// The agent's own /healthz without a path is a 404 JSON answer: HTTP, so the route is right.
		await commitYaml(
			edge,
			egressYaml({
				checkIngressTargets: true,
				ingress: [{ hostname: 'agent.example.com', service: net.agentUrl }],
			}),
		)
		const { deps } = egressDeps()
		await checkEgress(deps, FAST)
		const check = await latestReport()
		const s = check.samples[0]
		expect(s).toMatchObject({ observed: 'ok', error: 'http-status' })
		expect(JSON.parse(s?.detail ?? '{}').http.status).toBe(404)
	})
})

describe('outage windows', () => {
	it('opens a window at the first failing sample once failing is confirmed, and closes it at the first ok sample', async () => {
		const good = egressYaml({ targets: [{ name: 'api', port: net.ports.app, probe: 'http' }] })
		const bad = egressYaml({ targets: [{ name: 'api', port: net.ports.refused, probe: 'http' }] })
		const { deps } = egressDeps()
		const tick = async (yaml: string) => {
			await commitYaml(edge, yaml)
			return (await checkEgress(deps, FAST)).checkId
		}
		await tick(good)
		const firstFail = await tick(bad)
		expect(await rows('SELECT * FROM egress_outages')).toEqual([]) // one failure is a blip
		await tick(bad)
		const open = await rows<{
			node: string
			started_at: number
			ended_at: number | null
			failing_samples: number
			first_error: string
		}>('SELECT * FROM egress_outages ORDER BY node')
		expect(open).toHaveLength(3)
		const [firstFailCheck] = await rows<{ started_at: number }>(
			'SELECT started_at FROM egress_checks WHERE id = ?',
			firstFail,
		)
		for (const o of open) {
			expect(o).toMatchObject({ ended_at: null, failing_samples: 2, first_error: 'refused' })
			expect(o.started_at).toBe(firstFailCheck?.started_at)
		}
		await tick(bad)
		expect(
			(await rows<{ failing_samples: number }>('SELECT failing_samples FROM egress_outages')).map(
				(o) => o.failing_samples,
			),
		).toEqual([3, 3, 3])
		const firstOk = await tick(good)
		expect(await rows('SELECT COUNT(*) AS n FROM egress_outages WHERE ended_at IS NULL')).toEqual([
			{ n: 3 },
		]) // one ok sample is not yet a recovery
		await tick(good)
		const closed = await rows<{
			started_at: number
			ended_at: number
			duration_ms: number
			end_reason: string
		}>('SELECT * FROM egress_outages')
		const [firstOkCheck] = await rows<{ started_at: number }>(
			'SELECT started_at FROM egress_checks WHERE id = ?',
			firstOk,
		)
		for (const o of closed) {
			expect(o.end_reason).toBe('recovered')
			expect(o.ended_at).toBe(firstOkCheck?.started_at)
			expect(o.duration_ms).toBe(o.ended_at - o.started_at)
		}
	}, 30_000)

	it('ends the windows of a target removed from tidegate.yaml', async () => {
		const bad = egressYaml({ targets: [{ name: 'api', port: net.ports.refused, probe: 'tcp' }] })
		const { deps } = egressDeps()
		await commitYaml(edge, bad)
		await checkEgress(deps, FAST)
		await checkEgress(deps, FAST)
		expect(await rows('SELECT COUNT(*) AS n FROM egress_outages WHERE ended_at IS NULL')).toEqual([
			{ n: 3 },
		])
		await commitYaml(edge, egressYaml({ targets: [] }))
		await checkEgress(deps, FAST)
		expect(
			await rows('SELECT DISTINCT end_reason FROM egress_outages WHERE ended_at IS NOT NULL'),
		).toEqual([{ end_reason: 'target-removed' }])
		expect(await rows("SELECT * FROM egress_tracks WHERE kind = 'cell'")).toEqual([])
	}, 20_000)
})

describe('where the targets come from', () => {
	it('keeps probing the previous targets when tidegate.yaml cannot be read', async () => {
		await commitYaml(
			edge,
			egressYaml({ targets: [{ name: 'app', port: net.ports.app, probe: 'http' }] }),
		)
		const { deps } = egressDeps()
		await checkEgress(deps, FAST)
		edge.github.addFault({ path: '/repos/**', kind: 'server-error', times: 'always' })
		const result = await checkEgress(deps, FAST)
		expect(result.outcome).toBe('ok')
		const [row] = await rows<{ targets_from: string; note: string }>(
			'SELECT targets_from, note FROM egress_checks ORDER BY id DESC LIMIT 1',
		)
		expect(row?.targets_from).toBe('previous')
		expect(row?.note).toMatch(/^desired state unavailable \(github_unavailable\)/)
		expect((await latestReport()).samples).toHaveLength(3)
	})

	it('skips, and records why, when there is no desired state and no previous check', async () => {
		edge.github.addFault({ path: '/repos/**', kind: 'server-error', times: 'always' })
		const { deps } = egressDeps()
		const result = await checkEgress(deps, FAST)
		expect(result).toMatchObject({ outcome: 'skipped', skipped: 'no-targets' })
		expect(result.detail).toMatch(/^desired state unavailable/)
		expect(await rows('SELECT status FROM egress_checks')).toEqual([{ status: 'skipped' }])
		expect(await rows('SELECT * FROM egress_tracks')).toEqual([])
	})

	it('is skipped without AGENT_URL, and says so', async () => {
		const { deps } = egressDeps({ AGENT_URL: '' })
		expect(await checkEgress(deps, FAST)).toEqual({
			outcome: 'skipped',
			skipped: 'not-configured',
			detail: 'not configured: AGENT_URL',
		})
		expect(await rows('SELECT * FROM egress_checks')).toEqual([])
	})

	it('skips a tick while another check still holds the lease', async () => {
		await env.DB.prepare("INSERT INTO egress_checks (started_at, status) VALUES (?, 'running')")
			.bind(Date.now() - 1000)
			.run()
		const { deps } = egressDeps()
		expect(await checkEgress(deps, FAST)).toEqual({
			outcome: 'skipped',
			skipped: 'busy',
			detail: 'another egress check is still running',
		})
	})
})

describe('the cron trigger', () => {
	it('runs the egress check on its own tick and records it in cron_ticks', async () => {
		await commitYaml(
			edge,
			egressYaml({ targets: [{ name: 'app', port: net.ports.app, probe: 'http' }] }),
		)
		await env.DB.prepare('DELETE FROM cron_ticks').run()
		await worker.scheduled(
			createScheduledController({ cron: '2-59/5 * * * *', scheduledTime: Date.now() }),
			env,
			createExecutionContext(),
		)
		expect(await rows('SELECT job, outcome, detail FROM cron_ticks')).toEqual([
			{ job: 'egress', outcome: 'ok', detail: '3 nodes × 1 targets: 3 ok, 0 failing, 0 unknown' },
		])
	}, 20_000)
})
