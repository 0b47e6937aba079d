/**
 * @module `egress.expect` against one check: which nodes must reach which target. `nodes: all`
 * means every node the agent reports (reachable or not: an unreachable node leaves the
 * expectation unknown, not met). A listed node absent from the answer is unknown too.
 */
import type { DesiredState } from '../desired-state/model.ts'
import type { CellObservation } from './model.ts'

/** One expectation as written. */
export type Expectation = DesiredState['egress']['expect'][number]

/** One expectation's verdict: any failing required node → `unmet`; else any unknown → `unknown`. */
export interface ExpectationResult {
	target: string
	nodes: 'all' | string[]
	status: 'met' | 'unmet' | 'unknown'
	okNodes: string[]
	failingNodes: string[]
	unknownNodes: string[]
	text: string
}

/** Evaluates every expectation against this check's cells and reported nodes. */
export function evaluateExpectations(
	expectations: Expectation[],
	cells: Pick<CellObservation, 'node' | 'target' | 'observed'>[],
	reportedNodes: string[],
): ExpectationResult[] {
	return expectations.map((e) => {
		const required = e.nodes === 'all' ? reportedNodes : e.nodes
		const okNodes: string[] = []
		const failingNodes: string[] = []
		const unknownNodes: string[] = []
		for (const node of required) {
			const cell = cells.find((c) => c.node === node && c.target === e.target)
			const observed = cell?.observed ?? 'unknown'
			;(observed === 'ok' ? okNodes : observed === 'failing' ? failingNodes : unknownNodes).push(
				node,
			)
		}
		const who = e.nodes === 'all' ? 'every node' : e.nodes.join(', ')
		if (required.length === 0) {
			return {
				target: e.target,
				nodes: e.nodes,
				status: 'unknown' as const,
				okNodes,
				failingNodes,
				unknownNodes,
				text: `${who} must reach ${e.target}: no node answered`,
			}
		}
		const status = failingNodes.length > 0 ? 'unmet' : unknownNodes.length > 0 ? 'unknown' : 'met'
		const text =
			status === 'met'
				? `${who} must reach ${e.target}: met`
				: status === 'unmet'
					? `${who} must reach ${e.target}: ${failingNodes.join(', ')} cannot`
					: `${who} must reach ${e.target}: unknown on ${unknownNodes.join(', ')}`
		return { target: e.target, nodes: e.nodes, status, okNodes, failingNodes, unknownNodes, text }
	})
}

/**
 * Whether a failing cell is worth an alert: a target with expectations alerts only for the nodes
 * they name (a GPU node deliberately kept off the database is no news); a target without
 * expectations (including every ingress-derived one) alerts for every node.
 */
export function isExpected(expectations: Expectation[], node: string, target: string): boolean {
	const mine = expectations.filter((e) => e.target === target)
	if (mine.length === 0) {
		return true
	}
	return mine.some((e) => e.nodes === 'all' || e.nodes.includes(node))
}
