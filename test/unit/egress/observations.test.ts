import { describe, expect, it } from 'vitest'
import { prepareTargets } from '../../../src/app/egress/check.ts'
import type { AgentCheckResponse, AgentTargetResult } from '../../../src/contracts/agent.ts'
import type { EgressTarget } from '../../../src/domain/egress/model.ts'
import {
	MAX_OBSERVATION_SKEW_MS,
	observeAgentFailure,
	observeAnswer,
} from '../../../src/domain/egress/observations.ts'

const NOW = 1_795_000_000_000

const target = (name: string, over: Partial<EgressTarget> = {}): EgressTarget => ({
	name,
	host: 'db.example.com',
	port: 5432,
	probe: 'postgres',
	source: 'config',
	hostnames: [],
	edge: { probe: true },
	...over,
})

const result = (name: string, over: Partial<AgentTargetResult> = {}): AgentTargetResult => ({
	target: name,
	probe: 'postgres',
	ok: true,
	latencyMs: 3.2,
	error: null,
	phases: { dns: 0.4, connect: 1.1, handshake: 1.5 },
	postgres: { ssl: false },
	...over,
})

function answer(nodes: AgentCheckResponse['nodes']): AgentCheckResponse {
	return { requestId: 'r', nodes }
}

const reachable = (name: string, results: AgentTargetResult[], observedAt = NOW) => ({
	node: name,
	reachable: true,
	error: null,
	observedAt,
	durationMs: 5,
	results,
})

describe('observeAnswer', () => {
	it('maps ok and failing results, keeping latency, error, phase and the details', () => {
		const { cells } = observeAnswer({
			answer: answer([
				reachable('a', [result('db')]),
				reachable('c', [
					result('db', {
						ok: false,
						error: 'timeout',
						phase: 'connect',
						message: 'no answer within the timeout during connect',
						phases: { dns: 0.3 },
						postgres: undefined,
					}),
				]),
			]),
			targets: [target('db')],
			knownNodes: [],
			now: NOW,
		})
		expect(cells[0]).toMatchObject({
			node: 'a',
			observed: 'ok',
			latencyMs: 3.2,
			detail: { phases: { dns: 0.4, connect: 1.1, handshake: 1.5 }, postgres: { ssl: false } },
		})
		expect(cells[1]).toMatchObject({
			node: 'c',
			observed: 'failing',
			error: 'timeout',
			phase: 'connect',
			unknownReason: null,
		})
	})

	it('makes every cell of an unreachable node unknown, not failing', () => {
		const { cells, nodes } = observeAnswer({
			answer: answer([
				reachable('a', [result('db')]),
				{
					node: '10.42.1.4:8787',
					reachable: false,
					error: 'refused',
					peer: 'http://10.42.1.4:8787',
					observedAt: NOW,
					durationMs: 1,
					results: [],
				},
			]),
			targets: [target('db'), target('api')],
			knownNodes: [],
			now: NOW,
		})
		expect(nodes[1]).toMatchObject({ reachable: false, error: 'refused' })
		expect(cells.filter((c) => c.node === '10.42.1.4:8787').map((c) => c.unknownReason)).toEqual([
			'node-unreachable',
			'node-unreachable',
		])
		// A target the answer left out is unknown too.
		expect(cells.find((c) => c.node === 'a' && c.target === 'api')).toMatchObject({
			observed: 'unknown',
			unknownReason: 'no-result',
		})
	})

	it('treats an overloaded probe as unknown and ignores results for targets it did not ask for', () => {
		const { cells } = observeAnswer({
			answer: answer([
				reachable('a', [
					result('db', { ok: false, error: 'overloaded', phase: 'queue', phases: {} }),
					result('not-asked'),
				]),
			]),
			targets: [target('db')],
			knownNodes: [],
			now: NOW,
		})
		expect(cells).toHaveLength(1)
		expect(cells[0]).toMatchObject({ observed: 'unknown', unknownReason: 'overloaded' })
	})

	it('treats a target the agent refuses (a metadata address) as unknown, not failing', () => {
		const { cells } = observeAnswer({
			answer: answer([
				reachable('a', [result('imds', { ok: false, error: 'blocked-address', phase: 'dns' })]),
			]),
			targets: [target('imds')],
			knownNodes: [],
			now: NOW,
		})
		expect(cells[0]).toMatchObject({ observed: 'unknown', unknownReason: 'blocked-address' })
	})

	it('treats a stale observation as unknown', () => {
		const { cells, nodes } = observeAnswer({
			answer: answer([reachable('a', [result('db')], NOW - MAX_OBSERVATION_SKEW_MS - 1)]),
			targets: [target('db')],
			knownNodes: [],
			now: NOW,
		})
		expect(nodes[0]?.stale).toBe(true)
		expect(cells[0]).toMatchObject({ observed: 'unknown', unknownReason: 'stale' })
	})

	it('keeps a known node missing from the answer in the matrix, unknown', () => {
		const { cells, nodes } = observeAnswer({
			answer: answer([reachable('a', [result('db')])]),
			targets: [target('db')],
			knownNodes: ['a', 'gpu'],
			now: NOW,
		})
		expect(nodes.map((n) => [n.node, n.missing])).toEqual([
			['a', false],
			['gpu', true],
		])
		expect(cells[1]).toMatchObject({
			node: 'gpu',
			observed: 'unknown',
			unknownReason: 'node-missing',
		})
	})

	it("counts an ingress service's HTTP error status as reachable, with a note", () => {
		const ingress = target('ingress:https://kubernetes.default.svc:443', {
			source: 'ingress',
			probe: 'http',
			tls: true,
		})
		const { cells } = observeAnswer({
			answer: answer([
				reachable('a', [
					result(ingress.name, {
						probe: 'http',
						ok: false,
						error: 'http-status',
						http: { status: 401 },
					}),
				]),
			]),
			targets: [ingress],
			knownNodes: [],
			now: NOW,
		})
		expect(cells[0]).toMatchObject({
			observed: 'ok',
			error: 'http-status',
			note: "answered HTTP 401: the route's service and port are right",
		})
		// A configured http target with an expected status stays failing.
		const { cells: configured } = observeAnswer({
			answer: answer([
				reachable('a', [
					result('api', { probe: 'http', ok: false, error: 'http-status', http: { status: 503 } }),
				]),
			]),
			targets: [target('api', { probe: 'http' })],
			knownNodes: [],
			now: NOW,
		})
		expect(configured[0]?.observed).toBe('failing')
	})
})

describe('observeAgentFailure', () => {
	it('makes every known cell unknown', () => {
		const { cells, nodes } = observeAgentFailure({
			targets: [target('db'), target('api')],
			knownNodes: ['a', 'b'],
			now: NOW,
		})
		expect(nodes.map((n) => [n.node, n.reachable])).toEqual([
			['a', null],
			['b', null],
		])
		expect(cells).toHaveLength(4)
		expect(new Set(cells.map((c) => `${c.observed}/${c.unknownReason}`))).toEqual(
			new Set(['unknown/agent-unreachable']),
		)
	})
})

describe('prepareTargets', () => {
	it('skips targets the agent protocol would refuse, with the reason, instead of failing the request', () => {
		const { targets, agentTargets, skipped } = prepareTargets([
			target('db'),
			target('bad', { host: 'db.example.com/5432' }),
			target('ingress:https://k8s:443', { probe: 'http', tls: true, source: 'ingress' }),
		])
		expect(targets.map((t) => t.name)).toEqual(['db', 'ingress:https://k8s:443'])
		expect(agentTargets).toEqual([
			{ name: 'db', host: 'db.example.com', port: 5432, probe: 'postgres' },
			{
				name: 'ingress:https://k8s:443',
				host: 'db.example.com',
				port: 5432,
				probe: 'http',
				tls: true,
			},
		])
		expect(skipped).toEqual([
			{
				name: 'bad',
				reason:
					'not a valid agent target: host: must be a hostname or an IP address (IPv6 without brackets)',
			},
		])
	})

	it('sends at most 64 targets, tidegate.yaml ones first', () => {
		const many = Array.from({ length: 70 }, (_, i) => target(`t${i}`))
		const { agentTargets, skipped } = prepareTargets(many)
		expect(agentTargets).toHaveLength(64)
		expect(skipped.map((s) => s.name)).toEqual(['t64', 't65', 't66', 't67', 't68', 't69'])
		expect(skipped[0]?.reason).toBe('over the 64 targets per check')
	})
})
