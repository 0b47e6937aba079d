/**
 * @module Edge sync against Cloudflare, shared by the Worker's reconcile and the CLI's plan/apply:
 * read live → plan → (caller decides) → write, re-reading just before each PUT because the API
 * has no If-Match. Knows nothing of runs, queues or commit statuses.
 */
import type { DesiredState } from '../../domain/desired-state/model.ts'
import {
	type LiveRead,
	type Plan,
	planEdge,
	planSplitTunnel,
	planTunnel,
	type ResourcePlan,
	type SplitTunnelPlan,
	sameJson,
	type TunnelPlan,
} from '../../domain/edge/plan.ts'
import type { ApplicationStore, SplitTunnelApi, TunnelApi } from '../../domain/edge/ports.ts'
import {
	type AppliedSplitTunnel,
	type AppliedTunnel,
	type LiveSplitTunnel,
	type LiveTunnelConfig,
	splitTunnelResource,
	tunnelResource,
} from '../../domain/edge/state.ts'
import type { ApiFailure } from '../../domain/ports.ts'
import { err, ok, type Result } from '../../lib/result.ts'

/** What edge sync touches. */
export interface EdgeSyncDeps {
	tunnelApi: TunnelApi
	splitTunnelApi: SplitTunnelApi
	applications: ApplicationStore
	now(): number
}

/** A plan together with the reads it was made from, ready to apply. */
export interface PlannedSync {
	state: DesiredState
	plan: Plan
	live: { tunnel?: LiveRead<LiveTunnelConfig>; splitTunnel?: LiveRead<LiveSplitTunnel> }
	applied: { tunnel?: AppliedTunnel; splitTunnel?: AppliedSplitTunnel }
	force: boolean
}

/**
 * Reads live and last-applied state and plans. A read that failed retryably (or on auth) is a
 * failure to retry or fix; any other unreadable resource becomes a refusal inside the plan.
 */
export async function planSync(
	deps: EdgeSyncDeps,
	state: DesiredState,
	force: boolean,
): Promise<Result<PlannedSync, ApiFailure>> {
	const live: PlannedSync['live'] = {}
	const failures: ApiFailure[] = []
	if (state.tunnel) {
		const read = await deps.tunnelApi.getConfig(state.tunnel)
		live.tunnel = read.ok ? read : err(read.error.message)
		if (!read.ok) {
			failures.push(read.error)
		}
	}
	if (state.splitTunnel) {
		const read = await deps.splitTunnelApi.get(state.splitTunnel)
		live.splitTunnel = read.ok ? read : err(read.error.message)
		if (!read.ok) {
			failures.push(read.error)
		}
	}
	const blocking = failures.find((f) => f.retryable) ?? failures.find((f) => f.kind === 'auth')
	if (blocking) {
		return err(blocking)
	}
	const applied: PlannedSync['applied'] = {}
	if (state.tunnel) {
		applied.tunnel = await deps.applications.latestTunnel(tunnelResource(state.tunnel.tunnelId))
	}
	if (state.splitTunnel) {
		applied.splitTunnel = await deps.applications.latestSplitTunnel(
			splitTunnelResource(state.splitTunnel.accountId, state.splitTunnel.policy),
		)
	}
	return ok({ state, plan: planEdge(state, { live, applied, force }), live, applied, force })
}

/** Why applying stopped: an API failure, or a re-plan that tripped a rail. */
export type ApplyFailure = { kind: 'api'; failure: ApiFailure } | { kind: 'refused'; plan: Plan }

/** The outcome of applying: the plan as finally applied (re-planned resources included). */
export interface ApplyOutcome {
	result: Result<Plan, ApplyFailure>
	warnings: string[]
}

/** Where a write is recorded. */
export interface ApplyRecord {
	runId: number | null
	commitSha: string | null
}

/** Writes every resource that has changes, one PUT each, recording what Cloudflare accepted. */
export async function applySync(
	deps: EdgeSyncDeps,
	planned: PlannedSync,
	record: ApplyRecord,
): Promise<ApplyOutcome> {
	const warnings: string[] = []
	const resources: ResourcePlan[] = [...planned.plan.resources]
	const stop = (failure: ApplyFailure): ApplyOutcome => ({ result: err(failure), warnings })

	for (const [index, resource] of resources.entries()) {
		const writer = resource.changes.length === 0 ? undefined : writerFor(deps, planned, resource)
		if (!writer) {
			continue
		}
		// Re-read just before the PUT (the API has no If-Match); if it moved, plan again against it.
		const fresh = await writer.reread()
		if (!fresh.ok) {
			return stop({ kind: 'api', failure: fresh.error })
		}
		let plan = resource
		if (fresh.value.moved) {
			warnings.push(fresh.value.moved)
			plan = fresh.value.replan()
			resources[index] = plan
			if (plan.refusals.length > 0) {
				return stop({ kind: 'refused', plan: withResources(planned.plan, resources) })
			}
			if (plan.changes.length === 0) {
				continue
			}
		}
		const put = await writer.write(plan)
		if (!put.ok) {
			return stop({ kind: 'api', failure: put.error })
		}
		if (record.runId !== null) {
			await deps.applications.record({
				resource: plan.resource,
				runId: record.runId,
				commitSha: record.commitSha,
				document: put.value.recorded,
				remoteVersion: put.value.remoteVersion,
				appliedAt: deps.now(),
			})
		}
		warnings.push(...(await put.value.afterwards()))
	}
	return { result: ok(withResources(planned.plan, resources)), warnings }
}

/** How one kind of resource is re-read and written. */
interface Writer {
	/** The live state again: why it moved since planning (null: it did not), and the re-plan. */
	reread(): Promise<Result<{ moved: string | null; replan: () => ResourcePlan }, ApiFailure>>
	/** PUTs the plan's document: what to record as applied, and checks to run after the write. */
	write(
		plan: ResourcePlan,
	): Promise<
		Result<
			{ recorded: unknown; remoteVersion: number | null; afterwards: () => Promise<string[]> },
			ApiFailure
		>
	>
}

function writerFor(
	deps: EdgeSyncDeps,
	planned: PlannedSync,
	resource: ResourcePlan,
): Writer | undefined {
	const { state, applied } = planned
	const rails = { maxDeletions: state.sync.maxDeletions, force: planned.force }
	const tunnel = state.tunnel
	if (resource.kind === 'tunnel' && tunnel) {
		return {
			async reread() {
				const fresh = await deps.tunnelApi.getConfig(tunnel)
				if (!fresh.ok) {
					return fresh
				}
				const moved =
					fresh.value.version === resource.liveVersion
						? null
						: `the tunnel configuration moved from version ${resource.liveVersion} to ${fresh.value.version} between plan and write (a hand edit?); re-planned against it`
				return ok({ moved, replan: () => planTunnel(tunnel, fresh, applied.tunnel, rails) })
			},
			async write(plan) {
				const document = (plan as TunnelPlan).document
				const put = await deps.tunnelApi.putConfig(tunnel, document)
				if (!put.ok) {
					return put
				}
				const version = put.value.version
				return ok({
					recorded: document,
					remoteVersion: version,
					afterwards: () => connectorLag(deps, tunnel, version),
				})
			},
		}
	}
	const split = state.splitTunnel
	if (resource.kind === 'split-tunnel' && split) {
		return {
			async reread() {
				const fresh = await deps.splitTunnelApi.get(split)
				if (!fresh.ok) {
					return fresh
				}
				const plannedAgainst = planned.live.splitTunnel?.ok
					? planned.live.splitTunnel.value
					: undefined
				// The list is shared: writing a stale copy would wipe another team's fresh entry.
				const moved = sameJson(plannedAgainst, fresh.value)
					? null
					: 'the split-tunnel list changed between plan and write; re-planned against it'
				return ok({
					moved,
					replan: () => planSplitTunnel(split, state.owner, fresh, applied.splitTunnel, rails),
				})
			},
			async write(plan) {
				const { document, owned } = plan as SplitTunnelPlan
				const put = await deps.splitTunnelApi.putInclude(split, document)
				if (!put.ok) {
					return put
				}
				return ok({ recorded: { entries: owned }, remoteVersion: null, afterwards: async () => [] })
			},
		}
	}
	return undefined
}

function withResources(plan: Plan, resources: ResourcePlan[]): Plan {
	const changeCount = resources.reduce((n, r) => n + r.changes.length, 0)
	const refused = resources.some((r) => r.refusals.length > 0)
	return { ...plan, resources, changeCount, refused, inSync: changeCount === 0 && !refused }
}

/** cloudflared keeps its last good config when it rejects a new one; a lagging connector is how that shows. */
async function connectorLag(
	deps: EdgeSyncDeps,
	tunnel: { accountId: string; tunnelId: string },
	version: number,
): Promise<string[]> {
	const connectors = await deps.tunnelApi.getConnectors(tunnel)
	if (!connectors.ok) {
		return [
			`could not read the tunnel's connectors to confirm they took version ${version}: ${connectors.error.message}`,
		]
	}
	if (connectors.value.length === 0) {
		return [
			`no cloudflared connector is running for the tunnel; version ${version} applies when one connects`,
		]
	}
	return connectors.value
		.filter((c) => c.configVersion !== null && c.configVersion < version)
		.map(
			(c) =>
				`connector ${c.id} still reports config version ${c.configVersion}, not ${version}; connectors usually take a new version within seconds, and one that stays behind rejected it (check its logs)`,
		)
}
