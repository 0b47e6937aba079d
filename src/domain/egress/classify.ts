/**
 * @module Where the problem is, per target: the nodes' view against the Worker's own probe from
 * the edge, and each node's public egress IP. The seed's case — only some nodes reach the
 * database — must never read as "the database is down". It has two possible causes, on two
 * different sides: a node-level firewall or route (the cluster's side), or the target's IP
 * allowlist lacking those nodes' egress IPs (the target's side). The egress IPs tell them apart
 * where they can: a failing node that leaves through the same IP as a node that gets in is not
 * refused by an allowlist.
 *
 * | nodes (those that answered)  | edge          | verdict                                            |
 * | ---------------------------- | ------------- | -------------------------------------------------- |
 * | none answered                | any           | `unknown`                                          |
 * | all ok                       | any           | `ok` (an edge failure is noted: often a firewall allowing the cluster only) |
 * | some ok, some failing        | any           | `partial`: a node-level firewall or route, or the allowlist missing their IPs |
 * | all failing                  | ok            | `cluster`: up, but no node gets out to it (or the allowlist lacks every node) |
 * | all failing                  | failing       | `down`: the target or its address (or an allowlist admitting no one) |
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
	/**
	 * The egress IPs of failing nodes that no node reaching the target shares: what the target's
	 * IP allowlist lacks, if an allowlist is the cause.
	 */
	allowlistGaps: string[]
	/** One sentence for people. */
	text: string
}

/** Each node's public egress IP, null when unknown. */
export type EgressIps = ReadonlyMap<string, string | null>

const list = (nodes: string[]) => nodes.join(', ')

/**
 * What the egress IPs say about an IP allowlist as the cause for `failingNodes`: the addresses it
 * would lack (with their nodes), and the failing nodes it cannot be for, because they leave
 * through an address that gets in.
 */
function allowlistView(failingNodes: string[], okNodes: string[], ips: EgressIps) {
	const gaps = new Map<string, string[]>()
	const unknown: string[] = []
	const ruledOut: { node: string; ip: string; twin: string }[] = []
	for (const node of failingNodes) {
		const ip = ips.get(node) ?? null
		const twin = ip === null ? undefined : okNodes.find((n) => ips.get(n) === ip)
		if (ip === null) {
			unknown.push(node)
		} else if (twin !== undefined) {
			ruledOut.push({ node, ip, twin })
		} else {
			gaps.set(ip, [...(gaps.get(ip) ?? []), node])
		}
	}
	const missing = [
		...[...gaps].map(([ip, nodes]) => `${ip} (${list(nodes)})`),
		...(unknown.length > 0 ? [`the egress IP of ${list(unknown)} (not known)`] : []),
	]
	return { gaps: [...gaps.keys()], missing: list(missing), ruledOut }
}

/** Classifies one target from its cells (this check's), the edge probe and the nodes' egress IPs. */
export function classifyTarget(
	target: Pick<EgressTarget, 'name' | 'edge'>,
	cells: Pick<CellObservation, 'node' | 'target' | 'observed' | 'error' | 'unknownReason'>[],
	edgeResult: EdgeProbeResult | null,
	egressIps: EgressIps = new Map(),
): EgressVerdict {
	const mine = cells.filter((c) => c.target === target.name)
	const okNodes = mine.filter((c) => c.observed === 'ok').map((c) => c.node)
	const failing = mine.filter((c) => c.observed === 'failing')
	const failingNodes = failing.map((c) => c.node)
	const unknownNodes = mine.filter((c) => c.observed === 'unknown').map((c) => c.node)
	const edge: EgressVerdict['edge'] =
		edgeResult === null ? 'not-probed' : edgeResult.ok ? 'ok' : 'failing'
	const allowlist = allowlistView(failingNodes, okNodes, egressIps)
	const base = { okNodes, failingNodes, unknownNodes, edge, allowlistGaps: allowlist.gaps }
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
		const through = (r: { ip: string; twin: string }) =>
			`leaves through ${r.ip} like ${r.twin}, which gets in`
		const cause =
			allowlist.missing === ''
				? `a node-level firewall or route on ${list(failingNodes)}, not the target's IP allowlist: ${allowlist.ruledOut.map((r) => `${r.node} ${through(r)}`).join('; ')}`
				: `a node-level firewall or route, or the target's IP allowlist missing ${allowlist.missing}${allowlist.ruledOut.map((r) => `; for ${r.node} not the allowlist: it ${through(r)}`).join('')}`
		return {
			...base,
			kind: 'partial',
			text: `${list(failingNodes)} cannot reach it (${errors}) while ${list(okNodes)} can; ${edgeWords}: ${cause}${unknownWords}`,
		}
	}
	if (edge === 'ok') {
		return {
			...base,
			kind: 'cluster',
			text: `no node reaches it (${errors}) but the edge does: the target is up; the cluster cannot get out to it (egress firewall, NAT, DNS), or the target's IP allowlist missing ${allowlist.missing}${unknownWords}`,
		}
	}
	if (edge === 'failing') {
		return {
			...base,
			kind: 'down',
			text: `down everywhere: no node (${errors}) and not the edge (${edgeResult?.error ?? 'error'}) reach it — the target itself or its address, or an IP allowlist that admits neither the edge nor ${allowlist.missing}${unknownWords}`,
		}
	}
	return {
		...base,
		kind: 'failing',
		text: `no node reaches it (${errors}); ${edgeWords}${unknownWords}`,
	}
}
