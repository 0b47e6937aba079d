/** @module Ports of the egress check: the in-cluster agent, the Worker's own probe, the store. */
import type { AgentCheckRequestInput, AgentCheckResponse } from '../../contracts/agent.ts'
import type { Result } from '../../lib/result.ts'
import type {
	EdgeProbeResult,
	EgressCheck,
	EgressCheckOutcome,
	EgressOutage,
	EgressPlan,
	EgressSample,
	StoredTrack,
} from './model.ts'

/**
 * Why the agent call gave no matrix. Every one of these makes the whole check *unknown*, never
 * a failure of any target (docs/egress.md).
 */
export interface AgentFailure {
	code:
		| 'unreachable'
		| 'timeout'
		| 'unauthorized'
		| 'bad-status'
		| 'html'
		| 'not-json'
		| 'invalid'
		| 'too-large'
	message: string
	status?: number
}

/** The in-cluster agent (`POST /v1/check`, signed), reached through the tunnel at AGENT_URL. */
export interface AgentApi {
	check(
		request: AgentCheckRequestInput,
		options: { timeoutMs: number },
	): Promise<Result<AgentCheckResponse, AgentFailure>>
}

/** The Worker's own TCP connect to a target from the edge (`cloudflare:sockets`). */
export interface EdgeProber {
	tcp(host: string, port: number, timeoutMs: number): Promise<EdgeProbeResult>
}

/** Egress checks, samples, damped tracks and outage windows (D1, docs/storage.md). */
export interface EgressStore {
	/** Takes the lease: a new `running` check, unless one started less than `leaseMs` ago runs. */
	begin(at: number, leaseMs: number): Promise<number | undefined>
	tracks(): Promise<StoredTrack[]>
	openOutages(): Promise<EgressOutage[]>
	/** The plan of the newest check read from tidegate.yaml (used when it cannot be read). */
	lastTargets(): Promise<{ commitSha: string | null; plan: EgressPlan } | undefined>
	/** Records a finished check with its samples, tracks and outage changes, atomically. */
	finish(outcome: EgressCheckOutcome): Promise<void>
	/** The newest finished check; with `withMatrix`, the newest that has a matrix. */
	latestCheck(options?: { withMatrix?: boolean }): Promise<EgressCheck | undefined>
	/** The samples of one check. */
	samples(checkId: number): Promise<EgressSample[]>
	/** One cell's samples, newest first, `before` a sample id (keyset paging). */
	history(query: {
		node: string
		target: string
		limit: number
		before?: number | undefined
	}): Promise<EgressSample[]>
	/** Outage windows, newest first; `open` only those still open. */
	outages(query: {
		node?: string | undefined
		target?: string | undefined
		open?: boolean
		limit: number
	}): Promise<EgressOutage[]>
	/** Deletes checks and samples older than `checksBefore`, closed outages ended before `outagesBefore`. */
	prune(before: { checksBefore: number; outagesBefore: number }): Promise<number>
}
