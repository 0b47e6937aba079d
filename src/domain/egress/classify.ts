/**
 * @module Where the problem is, per target: the nodes' view against the Worker's own probe from
 * the edge. The seed's case — only some nodes reach the database — must read as "these nodes
 * cannot reach it" (a node firewall or route), never as "the database is down".
 *
 * | nodes (those that answered)  | edge          | verdict                                            |
 * | ---------------------------- | ------------- | -------------------------------------------------- |
 * | none answered                | any           | `unknown`                                          |
 * | all ok                       | any           | `ok` (an edge failure is noted: often a firewall allowing the cluster only) |
 * | some ok, some failing        | any           | `partial`: these nodes cannot reach it             |
 * | all failing                  | ok            | `cluster`: up, but no node gets out to it          |
 * | all failing                  | failing       | `down`: down everywhere (the target or its address) |
 * | all failing                  | not probed    | `failing`: no node reaches it; cannot tell more    |
 */
import type { CellObservation, EdgeProbeResult, EgressTarget } from './model.ts'

/** The verdict kinds (table above). */
export type EgressVerdictKind = 'ok' | 'partial' | 'cluster' | 'down' | 'failing' | 'unknown'

/** One target's verdict. */
export interface EgressVerdict {
	kind: EgressVerdictKind
	okNodes: string[]
	failingNodes: string[]
	unknownNodes: string[]
	edge: 'ok' | 'failing' | 'not-probed'
	/** One sentence for people. */
	text: string
}

const list = (nodes: string[]) => nodes.join(', ')

/** Classifies one target from its cells (this check's) and the edge probe, if one ran. */
export function classifyTarget(
	target: Pick<EgressTarget, 'name' | 'edge'>,
	cells: Pick<CellObservation, 'node' | 'target' | 'observed' | 'error' | 'unknownReason'>[],
	edgeResult: EdgeProbeResult | null,
): EgressVerdict {
	const mine = cells.filter((c) => c.target === target.name)
	const okNodes = mine.filter((c) => c.observed === 'ok').map((c) => c.node)
	const failing = mine.filter((c) => c.observed === 'failing')
	const failingNodes = failing.map((c) => c.node)
	const unknownNodes = mine.filter((c) => c.observed === 'unknown').map((c) => c.node)
	const edge: EgressVerdict['edge'] =
		edgeResult === null ? 'not-probed' : edgeResult.ok ? 'ok' : 'failing'
	const base = { okNodes, failingNodes, unknownNodes, edge }
	let edgeWords: string
	if (edgeResult !== null) {
		edgeWords = edgeResult.ok
			? 'the edge reaches it'
			: `the edge cannot reach it (${edgeResult.error ?? 'error'})`
	} else if (target.edge.probe) {
		edgeWords = 'the edge probe did not run'
	} else {
		edgeWords = `not probed from the edge (${target.edge.reason})`
	}
	const unknownWords =
		unknownNodes.length > 0 ? `; unknown on ${list(unknownNodes)} (no answer)` : ''
	const errors = [...new Set(failing.map((c) => c.error ?? 'error'))].join('/')

	if (okNodes.length === 0 && failingNodes.length === 0) {
		const refused = mine.length > 0 && mine.every((c) => c.unknownReason === 'blocked-address')
		return {
			...base,
			kind: 'unknown',
			text: refused
				? 'the agents refuse to probe it: it is a link-local or cloud metadata address (the agent operator can allow it with AGENT_ALLOW_ADDRESSES)'
				: `no node answered for it; ${edgeWords}`,
		}
	}
	if (failingNodes.length === 0) {
		const note =
			edgeResult && !edgeResult.ok
				? '; the edge cannot reach it (fine if its firewall admits the cluster only)'
				: ''
		return {
			...base,
			kind: 'ok',
			text: `reachable from every node that answered${note}${unknownWords}`,
		}
	}
	if (okNodes.length > 0) {
		return {
			...base,
			kind: 'partial',
			text: `${list(failingNodes)} cannot reach it (${errors}) while ${list(okNodes)} can; ${edgeWords}: a node-level firewall or route, not the target${unknownWords}`,
		}
	}
	if (edge === 'ok') {
		return {
			...base,
			kind: 'cluster',
			text: `no node reaches it (${errors}) but the edge does: the target is up, the cluster cannot get out to it (egress firewall, NAT, DNS)${unknownWords}`,
		}
	}
	if (edge === 'failing') {
		return {
			...base,
			kind: 'down',
			text: `down everywhere: no node (${errors}) and not the edge (${edgeResult?.error ?? 'error'}) reach it — the target itself or its address${unknownWords}`,
		}
	}
	return {
		...base,
		kind: 'failing',
		text: `no node reaches it (${errors}); ${edgeWords}${unknownWords}`,
	}
}
