import { describe, expect, it } from 'vitest'
import {
	alertableTransitions,
	egressAlertText,
	formatDuration,
} from '../../../src/domain/egress/alerts.ts'
import { classifyTarget, type EgressVerdict } from '../../../src/domain/egress/classify.ts'
import { evaluateExpectations, isExpected } from '../../../src/domain/egress/expectations.ts'
import type {
	EdgeProbeResult,
	EgressTarget,
	Observed,
	UnknownReason,
} from '../../../src/domain/egress/model.ts'
import type { EgressTransition } from '../../../src/domain/egress/tracking.ts'

const db: EgressTarget = {
	name: 'labelfish-db',
	host: 'db.example.com',
	port: 5432,
	probe: 'postgres',
	source: 'config',
	hostnames: [],
	edge: { probe: true },
}
const cells = (
	target: string,
	states: Record<string, Observed>,
	error = 'timeout',
	unknownReason: UnknownReason = 'no-result',
) =>
	Object.entries(states).map(([node, observed]) => ({
		node,
		target,
		observed,
		error: observed === 'failing' ? error : null,
		unknownReason: observed === 'unknown' ? unknownReason : null,
	}))
const edgeOk: EdgeProbeResult = { ok: true, latencyMs: 12, error: null, message: null }
const edgeDown: EdgeProbeResult = { ok: false, latencyMs: 3, error: 'refused', message: 'refused' }

describe('classifyTarget: the edge against the nodes', () => {
	it('says "these nodes cannot reach it" when some nodes can (the seed\'s firewall)', () => {
		const v = classifyTarget(db, cells(db.name, { cp: 'ok', worker: 'ok', gpu: 'failing' }), edgeOk)
		expect(v).toMatchObject({ kind: 'partial', failingNodes: ['gpu'], okNodes: ['cp', 'worker'] })
		expect(v.text).toBe(
			"gpu cannot reach it (timeout) while cp, worker can; the edge reaches it: a node-level firewall or route, or the target's IP allowlist missing the egress IP of gpu (not known)",
		)
	})

	it("names both sides of a partial verdict with the failing nodes' egress IPs", () => {
		const ips = new Map([
			['cp', '203.0.113.7'],
			['worker', '203.0.113.8'],
			['gpu', '198.51.100.9'],
		])
		const matrix = cells(db.name, { cp: 'ok', worker: 'ok', gpu: 'failing' })
		const v = classifyTarget(db, matrix, edgeOk, ips)
		expect(v.allowlistGaps).toEqual(['198.51.100.9'])
		expect(v.text).toBe(
			"gpu cannot reach it (timeout) while cp, worker can; the edge reaches it: a node-level firewall or route, or the target's IP allowlist missing 198.51.100.9 (gpu)",
		)
	})

	it('rules the allowlist out for a failing node that leaves through the IP of a node that gets in', () => {
		// One NAT gateway for the whole cluster: an allowlist cannot tell the nodes apart.
		const ips = new Map([
			['cp', '203.0.113.7'],
			['gpu', '203.0.113.7'],
		])
		const v = classifyTarget(db, cells(db.name, { cp: 'ok', gpu: 'failing' }), edgeOk, ips)
		expect(v.allowlistGaps).toEqual([])
		expect(v.text).toBe(
			"gpu cannot reach it (timeout) while cp can; the edge reaches it: a node-level firewall or route on gpu, not the target's IP allowlist: gpu leaves through 203.0.113.7 like cp, which gets in",
		)
		const mixed = new Map([...ips, ['worker', '198.51.100.9']])
		const both = classifyTarget(
			db,
			cells(db.name, { cp: 'ok', gpu: 'failing', worker: 'failing' }),
			edgeOk,
			mixed,
		)
		expect(both.allowlistGaps).toEqual(['198.51.100.9'])
		expect(both.text).toContain(
			"or the target's IP allowlist missing 198.51.100.9 (worker); for gpu not the allowlist: it leaves through 203.0.113.7 like cp, which gets in",
		)
	})

	it("names the cluster's egress IPs when no node gets in but the edge does", () => {
		const ips = new Map([
			['cp', '203.0.113.7'],
			['gpu', '203.0.113.7'],
		])
		const v = classifyTarget(db, cells(db.name, { cp: 'failing', gpu: 'failing' }), edgeOk, ips)
		expect(v.kind).toBe('cluster')
		expect(v.allowlistGaps).toEqual(['203.0.113.7'])
		expect(v.text).toContain("or the target's IP allowlist missing 203.0.113.7 (cp, gpu)")
	})

	it('says "down everywhere" when no node and not the edge reach it', () => {
		const v = classifyTarget(
			db,
			cells(db.name, { cp: 'failing', gpu: 'failing' }, 'refused'),
			edgeDown,
		)
		expect(v.kind).toBe('down')
		expect(v.text).toBe(
			'down everywhere: no node (refused) and not the edge (refused) reach it — the target itself or its address, or an IP allowlist that admits neither the edge nor the egress IP of cp, gpu (not known)',
		)
	})

	it('says the cluster cannot get out when the edge reaches what no node does', () => {
		const v = classifyTarget(db, cells(db.name, { cp: 'failing', gpu: 'failing' }), edgeOk)
		expect(v.kind).toBe('cluster')
	})

	it('cannot tell more when no node reaches it and the edge could not probe', () => {
		const internal = { ...db, edge: { probe: false as const, reason: 'cluster-internal name' } }
		const v = classifyTarget(internal, cells(db.name, { cp: 'failing' }), null)
		expect(v).toMatchObject({ kind: 'failing', edge: 'not-probed' })
		expect(v.text).toBe(
			'no node reaches it (timeout); not probed from the edge (cluster-internal name)',
		)
	})

	it('is ok when every node that answered can, noting an edge that cannot and the unknown nodes', () => {
		const v = classifyTarget(db, cells(db.name, { cp: 'ok', gpu: 'unknown' }), edgeDown)
		expect(v.kind).toBe('ok')
		expect(v.text).toBe(
			'reachable from every node that answered; the edge cannot reach it (fine if its firewall admits the cluster only); unknown on gpu (no answer)',
		)
	})

	it('is unknown when no node answered, whatever the edge says', () => {
		const v = classifyTarget(db, cells(db.name, { cp: 'unknown' }), edgeOk)
		expect(v).toMatchObject({
			kind: 'unknown',
			text: 'no node answered for it; the edge reaches it',
		})
		expect(classifyTarget(db, [], null).kind).toBe('unknown')
	})

	it('says the agents refuse to probe a metadata address, rather than "no node answered"', () => {
		const imds = { ...db, name: 'imds', host: '169.254.169.254' }
		const refused = cells(imds.name, { cp: 'unknown', gpu: 'unknown' }, '', 'blocked-address')
		const v = classifyTarget(imds, refused, null)
		expect(v.kind).toBe('unknown')
		expect(v.text).toContain('the agents refuse to probe it')
		expect(v.text).toContain('AGENT_ALLOW_ADDRESSES')
	})
})

describe('evaluateExpectations', () => {
	const matrix = cells(db.name, { cp: 'ok', worker: 'ok', gpu: 'failing' })

	it('reads nodes: all as every node the agent reports', () => {
		expect(
			evaluateExpectations([{ target: db.name, nodes: 'all' }], matrix, ['cp', 'worker', 'gpu']),
		).toMatchObject([{ status: 'unmet', failingNodes: ['gpu'], okNodes: ['cp', 'worker'] }])
	})

	it('is met when every listed node reaches the target', () => {
		expect(
			evaluateExpectations([{ target: db.name, nodes: ['cp', 'worker'] }], matrix, ['cp']),
		).toMatchObject([{ status: 'met', text: 'cp, worker must reach labelfish-db: met' }])
	})

	it('is unknown for a listed node that did not answer, and with no node at all', () => {
		expect(
			evaluateExpectations([{ target: db.name, nodes: ['cp', 'old-node'] }], matrix, ['cp']),
		).toMatchObject([{ status: 'unknown', unknownNodes: ['old-node'] }])
		expect(evaluateExpectations([{ target: db.name, nodes: 'all' }], [], [])).toMatchObject([
			{ status: 'unknown', text: 'every node must reach labelfish-db: no node answered' },
		])
	})

	it('lets unmet win over unknown', () => {
		expect(
			evaluateExpectations(
				[{ target: db.name, nodes: 'all' }],
				cells(db.name, { cp: 'unknown', gpu: 'failing' }),
				['cp', 'gpu'],
			)[0]?.status,
		).toBe('unmet')
	})

	it('decides which cells alert: the nodes an expectation names, or every node without one', () => {
		const expect1 = [{ target: db.name, nodes: ['cp', 'worker'] }]
		expect(isExpected(expect1, 'gpu', db.name)).toBe(false)
		expect(isExpected(expect1, 'cp', db.name)).toBe(true)
		expect(isExpected(expect1, 'gpu', 'ingress:http://app:80')).toBe(true)
		expect(isExpected([{ target: db.name, nodes: 'all' }], 'gpu', db.name)).toBe(true)
	})
})

describe('alert text', () => {
	const at = Date.UTC(2026, 10, 26, 12, 0, 0)
	const down: EgressTransition = {
		kind: 'cell',
		node: 'gpu',
		target: db.name,
		transition: { from: 'ok', to: 'failing', at, lastedMs: 86_400_000 },
		cell: {
			node: 'gpu',
			target: db.name,
			observed: 'failing',
			unknownReason: null,
			latencyMs: 5000,
			error: 'timeout',
			phase: 'connect',
			message: 'no answer within the timeout during connect',
			detail: null,
			note: null,
			observedAt: at,
		},
		outageStartedAt: at - 300_000,
	}
	const egressIps = new Map([
		['cp', '203.0.113.7'],
		['gpu', '198.51.100.9'],
	])
	const verdicts = new Map<string, EgressVerdict>([
		[db.name, classifyTarget(db, cells(db.name, { cp: 'ok', gpu: 'failing' }), edgeOk, egressIps)],
	])

	it('names the node and its egress IP, the target, when it started, the cause and both sides', () => {
		expect(
			egressAlertText({
				transitions: [down],
				targets: [db],
				verdicts,
				egressIps,
				agentFailure: null,
				publicUrl: 'https://tidegate.example.com',
			}),
		).toBe(
			[
				'tidegate egress: 1 failing',
				"✗ gpu (egress 198.51.100.9) cannot reach labelfish-db (db.example.com:5432 postgres) since 2026-11-26T11:55:00.000Z — timeout in connect: no answer within the timeout during connect. gpu cannot reach it (timeout) while cp can; the edge reaches it: a node-level firewall or route, or the target's IP allowlist missing 198.51.100.9 (gpu)",
				'Details: https://tidegate.example.com/api/egress',
			].join('\n'),
		)
	})

	it('says how long a recovered outage lasted', () => {
		const up: EgressTransition = {
			kind: 'cell',
			node: 'gpu',
			target: db.name,
			transition: { from: 'failing', to: 'ok', at, lastedMs: 600_000 },
			outageStartedAt: at - 3_900_000,
			outageEndedAt: at - 300_000,
		}
		expect(
			egressAlertText({
				transitions: [up],
				targets: [db],
				verdicts,
				agentFailure: null,
				publicUrl: undefined,
			}),
		).toBe(
			'tidegate egress: 1 recovered\n✓ gpu reaches labelfish-db (db.example.com:5432 postgres) again after 1 h out',
		)
	})

	it('is null without transitions, and keeps within the 4000-character cap', () => {
		expect(
			egressAlertText({
				transitions: [],
				targets: [],
				verdicts,
				agentFailure: null,
				publicUrl: undefined,
			}),
		).toBeNull()
		const many = Array.from({ length: 100 }, (_, i) => ({ ...down, node: `node-${i}` }))
		const text =
			egressAlertText({
				transitions: many,
				targets: [db],
				verdicts,
				agentFailure: null,
				publicUrl: 'https://t',
			}) ?? ''
		expect(text.length).toBeLessThanOrEqual(4000)
		expect(text).toMatch(/\n… and \d+ more\nDetails: https:\/\/t\/api\/egress$/)
	})

	it('keeps only transitions worth an alert', () => {
		const silent: EgressTransition = {
			...down,
			transition: { from: 'unknown', to: 'ok', at, lastedMs: null },
		}
		const excluded: EgressTransition = { ...down, node: 'gpu' }
		expect(alertableTransitions([silent, down], [])).toEqual([down])
		expect(alertableTransitions([excluded], [{ target: db.name, nodes: ['cp'] }])).toEqual([])
	})

	it('formats durations for people', () => {
		expect(
			[45_000, 12 * 60_000, 3 * 3_600_000 + 5 * 60_000, 2 * 3_600_000, 52 * 3_600_000].map(
				formatDuration,
			),
		).toEqual(['45 s', '12 min', '3 h 5 min', '2 h', '2 d 4 h'])
	})
})
