/**
 * @module Edge sync against Cloudflare, shared by the Worker's reconcile and the CLI's plan/apply:
 * read live → plan → (caller decides) → write, re-reading just before each PUT because the API
 * has no If-Match. Knows nothing of runs, queues or commit statuses.
 */
import type { DesiredState } from '../domain/desired-state.ts'
import {
	type AppliedSplitTunnel,
	type AppliedTunnel,
	type LiveSplitTunnel,
	type LiveTunnelConfig,
	splitTunnelResource,
	tunnelResource,
} from '../domain/edge-state.ts'
import {
	type LiveRead,
	type Plan,
	planEdge,
	planSplitTunnel,
	planTunnel,
	type ResourcePlan,
	sameJson,
} from '../domain/plan.ts'
import type { ApiFailure, ApplicationStore, SplitTunnelApi, TunnelApi } from '../domain/ports.ts'
import { err, ok, type Result } from '../lib/result.ts'

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
	const { state, applied } = planned
	const rails = { maxDeletions: state.sync.maxDeletions, force: planned.force }
	const resources: ResourcePlan[] = [...planned.plan.resources]
	const stop = (failure: ApplyFailure): ApplyOutcome => ({ result: err(failure), warnings })

	for (const [index, resource] of resources.entries()) {
		if (resource.changes.length === 0) {
			continue
		}
		if (resource.kind === 'tunnel' && state.tunnel) {
			const fresh = await deps.tunnelApi.getConfig(state.tunnel)
			if (!fresh.ok) {
				return stop({ kind: 'api', failure: fresh.error })
			}
			let plan = resource
			if (fresh.value.version !== resource.liveVersion) {
				warnings.push(
					`the tunnel configuration moved from version ${resource.liveVersion} to ${fresh.value.version} between plan and write (a hand edit?); re-planned against it`,
				)
				plan = planTunnel(state.tunnel, fresh, applied.tunnel, rails)
				resources[index] = plan
				if (plan.refusals.length > 0) {
					return stop({ kind: 'refused', plan: withResources(planned.plan, resources) })
				}
				if (plan.changes.length === 0) {
					continue
				}
			}
			const put = await deps.tunnelApi.putConfig(state.tunnel, plan.document)
			if (!put.ok) {
				return stop({ kind: 'api', failure: put.error })
			}
			if (record.runId !== null) {
				await deps.applications.record({
					resource: plan.resource,
					runId: record.runId,
					commitSha: record.commitSha,
					document: plan.document,
					remoteVersion: put.value.version,
					appliedAt: deps.now(),
				})
			}
			warnings.push(...(await connectorLag(deps, state.tunnel, put.value.version)))
		}
		if (resource.kind === 'split-tunnel' && state.splitTunnel) {
			const fresh = await deps.splitTunnelApi.get(state.splitTunnel)
			if (!fresh.ok) {
				return stop({ kind: 'api', failure: fresh.error })
			}
			let plan = resource
			const plannedAgainst = planned.live.splitTunnel?.ok
				? planned.live.splitTunnel.value
				: undefined
			if (!sameJson(plannedAgainst, fresh.value)) {
				// The list is shared: writing a stale copy would wipe another team's fresh entry.
				warnings.push('the split-tunnel list changed between plan and write; re-planned against it')
				plan = planSplitTunnel(state.splitTunnel, state.owner, fresh, applied.splitTunnel, rails)
				resources[index] = plan
				if (plan.refusals.length > 0) {
					return stop({ kind: 'refused', plan: withResources(planned.plan, resources) })
				}
				if (plan.changes.length === 0) {
					continue
				}
			}
			const put = await deps.splitTunnelApi.putInclude(state.splitTunnel, plan.document)
			if (!put.ok) {
				return stop({ kind: 'api', failure: put.error })
			}
			if (record.runId !== null) {
				await deps.applications.record({
					resource: plan.resource,
					runId: record.runId,
					commitSha: record.commitSha,
					document: { entries: plan.owned },
					remoteVersion: null,
					appliedAt: deps.now(),
				})
			}
		}
	}
	return { result: ok(withResources(planned.plan, resources)), warnings }
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
