/**
 * @module From an agent answer (or its absence) to one observation per node and per node × target
 * cell. The rule of the whole feature: only a node that answered with a result for a target can
 * make that cell `failing`. An agent that did not answer, an unreachable peer, a missing node or
 * result, an `overloaded` probe, a `blocked-address` refusal and a stale observation are all
 * `unknown`, never failures.
 */
import type { AgentCheckResponse, AgentTargetResult } from '../../contracts/agent.ts'
import type { CellObservation, EgressTarget, NodeObservation, UnknownReason } from './model.ts'

/** An observation further than this from the Worker's clock is stale (the agent's signing window). */
export const MAX_OBSERVATION_SKEW_MS = 5 * 60 * 1000

/** What one check observed. */
export interface MatrixObservation {
	nodes: NodeObservation[]
	cells: CellObservation[]
}

/**
 * Reads a valid agent answer. `knownNodes` are nodes seen in earlier checks: one missing from this
 * answer gets unknown cells instead of silently leaving the matrix.
 */
export function observeAnswer(input: {
	answer: AgentCheckResponse
	targets: EgressTarget[]
	knownNodes: string[]
	now: number
}): MatrixObservation {
	const nodes: NodeObservation[] = []
	const cells: CellObservation[] = []
	const present = new Set<string>()
	for (const report of input.answer.nodes) {
		present.add(report.node)
		const stale = Math.abs(report.observedAt - input.now) > MAX_OBSERVATION_SKEW_MS
		nodes.push({
			node: report.node,
			reachable: report.reachable,
			error: report.error,
			message: report.message ?? null,
			observedAt: report.observedAt,
			durationMs: report.durationMs,
			stale,
			missing: false,
			egressIp: report.egressIp?.address ?? null,
			egressIpObservedAt: report.egressIp?.observedAt ?? null,
			egressIpError: report.egressIp?.error ?? null,
		})
		const results = new Map(report.results.map((r) => [r.target, r]))
		for (const target of input.targets) {
			if (!report.reachable) {
				cells.push(unknownCell(report.node, target.name, 'node-unreachable', input.now))
				continue
			}
			if (stale) {
				cells.push(unknownCell(report.node, target.name, 'stale', input.now))
				continue
			}
			const result = results.get(target.name)
			cells.push(
				result
					? cellFromResult(report.node, target, result, report.observedAt)
					: unknownCell(report.node, target.name, 'no-result', report.observedAt),
			)
		}
	}
	for (const node of input.knownNodes) {
		if (present.has(node)) {
			continue
		}
		nodes.push(missingNode(node))
		for (const target of input.targets) {
			cells.push(unknownCell(node, target.name, 'node-missing', input.now))
		}
	}
	return { nodes, cells }
}

/** The observation of a check whose agent call failed: every known cell is unknown. */
export function observeAgentFailure(input: {
	targets: EgressTarget[]
	knownNodes: string[]
	now: number
}): MatrixObservation {
	return {
		nodes: input.knownNodes.map((node) => ({ ...missingNode(node), missing: false })),
		cells: input.knownNodes.flatMap((node) =>
			input.targets.map((t) => unknownCell(node, t.name, 'agent-unreachable', input.now)),
		),
	}
}

function missingNode(node: string): NodeObservation {
	return {
		node,
		reachable: null,
		error: null,
		message: null,
		observedAt: null,
		durationMs: null,
		stale: false,
		missing: true,
		egressIp: null,
		egressIpObservedAt: null,
		egressIpError: null,
	}
}

function unknownCell(
	node: string,
	target: string,
	reason: UnknownReason,
	at: number,
): CellObservation {
	return {
		node,
		target,
		observed: 'unknown',
		unknownReason: reason,
		latencyMs: null,
		error: null,
		phase: null,
		message: null,
		detail: null,
		note: null,
		observedAt: at,
	}
}

/**
 * One result as a cell. `overloaded` and `blocked-address` are the agent saying it did not probe:
 * unknown. For an
 * ingress-derived target any HTTP answer counts as reachable: the question is whether the rule's
 * service name and port are right (cloudflared would answer 502 otherwise), and an app's own 401
 * or 404 on `/` says they are.
 */
export function cellFromResult(
	node: string,
	target: EgressTarget,
	result: AgentTargetResult,
	observedAt: number,
): CellObservation {
	const detail: Record<string, unknown> = { phases: result.phases }
	for (const key of ['address', 'tls', 'http', 'postgres'] as const) {
		if (result[key] !== undefined) {
			detail[key] = result[key]
		}
	}
	const base = {
		node,
		target: target.name,
		latencyMs: result.latencyMs,
		error: result.error,
		phase: result.phase ?? null,
		message: result.message ?? null,
		detail,
		observedAt,
	}
	if (result.error === 'overloaded' || result.error === 'blocked-address') {
		// The agent did not probe: nothing is known about the target.
		return { ...base, observed: 'unknown', unknownReason: result.error, note: null }
	}
	if (
		!result.ok &&
		result.error === 'http-status' &&
		target.source === 'ingress' &&
		result.http !== undefined
	) {
		return {
			...base,
			observed: 'ok',
			unknownReason: null,
			note: `answered HTTP ${result.http.status}: the route's service and port are right`,
		}
	}
	return { ...base, observed: result.ok ? 'ok' : 'failing', unknownReason: null, note: null }
}
