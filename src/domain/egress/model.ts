/**
 * @module The egress check's vocabulary: the targets probed, what one check observed per node and
 * per node × target cell, what the edge saw, and what is kept between checks (damped tracks and
 * outage windows). Pure types; the rules live in the other `egress-*` modules.
 */

import type { AgentProbe } from '../../contracts/agent.ts'
import type { Health, Track } from '../transitions.ts'
import type { EgressVerdict } from './classify.ts'
import type { Expectation, ExpectationResult } from './expectations.ts'
import type { TrackingUpdate } from './tracking.ts'

/** The kinds of probe: the agent protocol's list, which tidegate.yaml and the API share. */
export type EgressProbe = AgentProbe

/** Whether the Worker probes a target itself from the edge, and why not. */
export type EdgePlan = { probe: true } | { probe: false; reason: string }

/** One target the agents probe: from `egress.targets`, or derived from an ingress rule. */
export interface EgressTarget {
	name: string
	host: string
	port: number
	probe: EgressProbe
	path?: string
	expectStatus?: number
	/** http over TLS (an `https://` ingress service). */
	tls?: boolean
	source: 'config' | 'ingress'
	/** ingress: the public hostnames whose rules send traffic to this service. */
	hostnames: string[]
	edge: EdgePlan
}

/** A target that is not probed, and why (invalid host, over the per-request cap, ...). */
export interface SkippedTarget {
	name: string
	reason: string
}

/** What one observation says about a cell. `unknown` carries no information either way. */
export type Observed = Health | 'unknown'

/** Why a cell is unknown. */
export type UnknownReason =
	/** The agent call failed (timeout, 401, HTML, garbage, ...): nothing is known this time. */
	| 'agent-unreachable'
	/** The receiving agent could not reach this node's agent. */
	| 'node-unreachable'
	/** A node seen before is missing from the answer. */
	| 'node-missing'
	/** The node answered without a result for this target. */
	| 'no-result'
	/** The node's agent had no free probe slot. */
	| 'overloaded'
	/** The agent refuses the target's address (link-local or cloud metadata; AGENT_ALLOW_ADDRESSES). */
	| 'blocked-address'
	/** The node's observation time is too far from the Worker's clock. */
	| 'stale'

/** A probe error code (the agent's, e.g. `timeout`, `refused`, `dns`). */
export type ProbeErrorCode = string

/** One node × target observation of one check. */
export interface CellObservation {
	node: string
	target: string
	observed: Observed
	unknownReason: UnknownReason | null
	/** The agent's verdict as sent, when there is a result. */
	latencyMs: number | null
	error: ProbeErrorCode | null
	/** The step a failure happened in. */
	phase: string | null
	message: string | null
	/** Phase timings, TLS, HTTP and Postgres facts, the address: as the agent sent them. */
	detail: Record<string, unknown> | null
	/** Set when the Worker reads the result differently from the agent's `ok` (and why). */
	note: string | null
	/** When the node probed (Unix ms), else the check's time. */
	observedAt: number
}

/** One node as the check saw it. `reachable: null` means the agent itself did not answer. */
export interface NodeObservation {
	node: string
	reachable: boolean | null
	error: string | null
	message: string | null
	observedAt: number | null
	durationMs: number | null
	/** Its observation time was too far from the Worker's clock, so its cells are unknown. */
	stale: boolean
	/** Known from earlier checks but absent from this answer. */
	missing: boolean
	/** The node's public egress IP as its agent last learnt it from the Worker; null if unknown. */
	egressIp: string | null
	/** When the Worker saw that address (Unix ms). */
	egressIpObservedAt: number | null
	/** Why the agent could not refresh it (`not-configured`, `timeout`, ...); null when fresh. */
	egressIpError: string | null
}

/** The Worker's own TCP connect from the edge. */
export interface EdgeProbeResult {
	ok: boolean
	latencyMs: number
	/** `timeout`, `refused`, `dns`, `blocked` or `error`; null when ok. */
	error: string | null
	message: string | null
}

/** What is damped between checks: the agent, each node's reachability, each cell. */
export type TrackKind = 'agent' | 'node' | 'cell'

/** A damped track as stored: `Track` plus when its candidate streak began. */
export interface StoredTrack extends Track {
	kind: TrackKind
	/** '' for the agent track. */
	node: string
	/** '' for agent and node tracks. */
	target: string
	/** When the current candidate streak began (so an outage starts at its first failing sample). */
	candidateSince: number | null
	/** The newest observation fed into the track. */
	lastObserved: Observed | null
	/** When the subject was last present in an answer (nodes: to tell a node that is gone). */
	lastSeenAt: number
}

/** One outage window of one cell: from the first failing sample to the first ok one. */
export interface EgressOutage {
	id: number
	node: string
	target: string
	startedAt: number
	endedAt: number | null
	durationMs: number | null
	firstError: string | null
	lastError: string | null
	failingSamples: number
	/** `recovered`, `target-removed` or `node-gone`; null while open. */
	endReason: string | null
}

/** One stored observation of one cell (history). */
export interface EgressSample extends CellObservation {
	id: number
	checkId: number
	/** The check's time (Unix ms). */
	at: number
}

/** The targets of a check and `egress.expect`, as loaded from tidegate.yaml. */
export interface EgressPlan {
	targets: EgressTarget[]
	expect: Expectation[]
}

/** How a check can end (`running` while it holds the lease; `abandoned` if it never finished). */
export const EGRESS_CHECK_STATUSES = [
	'running',
	'ok',
	'agent_failed',
	'skipped',
	'abandoned',
] as const

/** How a check ended. */
export type EgressCheckStatus = (typeof EGRESS_CHECK_STATUSES)[number]

/** A target as one check probed it, with the edge's result and the verdict. */
export interface ReportedTarget extends EgressTarget {
	edgeResult: EdgeProbeResult | null
	verdict: EgressVerdict
}

/** What a check keeps beside its samples: everything the matrix view shows. */
export interface EgressReport {
	targets: ReportedTarget[]
	skipped: SkippedTarget[]
	nodes: NodeObservation[]
	expectations: ExpectationResult[]
	/** How the receiving agent found its peers, as it said. */
	discovery: { source: string; peers: number; error: string | null } | null
}

/** One recorded check. */
export interface EgressCheck {
	id: number
	startedAt: number
	finishedAt: number | null
	status: EgressCheckStatus
	commitSha: string | null
	/** `head`: targets from tidegate.yaml at the branch head; `previous`: reused (head unreadable). */
	targetsFrom: 'head' | 'previous' | null
	requestId: string | null
	agentError: { code: string; message: string } | null
	durationMs: number | null
	/** Why it was skipped, or what else an operator should know. */
	note: string | null
	report: EgressReport | null
}

/** A finished check with everything it changes, written at once. */
export interface EgressCheckOutcome extends Omit<EgressCheck, 'startedAt' | 'report'> {
	startedAt: number
	report: EgressReport | null
	/** What was probed and expected (kept for the next check in case tidegate.yaml cannot be read). */
	plan: EgressPlan | null
	samples: CellObservation[]
	tracking: Omit<TrackingUpdate, 'transitions'>
}
