/**
 * @module Edge sync against Cloudflare, shared by the Worker's reconcile and the CLI's plan/apply,
 * the same steps for every kind of resource: read live → plan (with the rails) → (the caller
 * decides) → per resource: re-read just before writing (the API has no If-Match), check the
 * document against that read, record the write as pending, write, settle the record, read back
 * and verify that every foreign item survived — and put the previous state back when one did
 * not. Knows nothing of runs, queues or commit statuses.
 */
import type { DesiredState } from '../../domain/desired-state/model.ts'
import { type LiveRead, type Plan, planOf, type ResourcePlan } from '../../domain/edge/plan.ts'
import type { ApplicationStore } from '../../domain/edge/ports.ts'
import {
	edgeResources,
	type PlanInputs,
	planResource,
	type ResourceSpec,
	skippedPlan,
} from '../../domain/edge/resources.ts'
import type { History } from '../../domain/edge/state.ts'
import type { ApiFailure } from '../../domain/ports.ts'
import { err, ok, type Result } from '../../lib/result.ts'
import { BINDINGS, type EdgeApis } from './kinds.ts'

/** What edge sync touches. */
export interface EdgeSyncDeps extends EdgeApis {
	applications: ApplicationStore
	/** The owner pinned by configuration (TIDEGATE_OWNER); the owner of the last write otherwise. */
	pinnedOwner: string | undefined
}

/** A plan together with the reads it was made from, ready to apply. */
export interface PlannedSync {
	state: DesiredState
	plan: Plan
	specs: ResourceSpec[]
	reads: Record<string, LiveRead<unknown>>
	inputs: PlanInputs
}

/** The message of a resource skipped because CF_DNS_API_TOKEN is not set. */
export const DNS_SKIPPED =
	'DNS records are not synced: CF_DNS_API_TOKEN is not set (it needs Zone › DNS › Edit and Zone › Zone › Read on the zones of the tunnel hostnames); create the records by hand or set the token'

/**
 * Reads live state and history, and plans. A read that failed retryably (or on auth) is a failure
 * to retry or fix, and stops the reads; any other unreadable resource becomes a refusal inside
 * the plan.
 */
export async function planSync(
	deps: EdgeSyncDeps,
	state: DesiredState,
	force: boolean,
): Promise<Result<PlannedSync, ApiFailure>> {
	const specs = edgeResources(state)
	const skipped: Record<string, string> = {}
	const inputs: PlanInputs = { live: {}, history: {}, skipped, force }
	const idle = new Set<string>()
	for (const spec of specs) {
		const history = await deps.applications.history(spec.resource)
		inputs.history[spec.resource] = history
		const skip = skipReason(deps, spec, history)
		if (skip === 'idle') {
			idle.add(spec.resource)
			continue
		}
		if (skip !== undefined) {
			skipped[spec.resource] = skip
			continue
		}
		const read = await BINDINGS[spec.kind].read(deps, spec, history)
		if (!read.ok && (read.error.retryable || read.error.kind === 'auth')) {
			// The run fails and is retried (or waits for a token): reading on would spend budget.
			return err(read.error)
		}
		inputs.live[spec.resource] = read.ok ? read : err(read.error.message)
	}
	const lastOwner = deps.pinnedOwner ?? (await deps.applications.lastOwner())
	const resources = specs
		.filter((spec) => !idle.has(spec.resource))
		.map((spec) => {
			const why = skipped[spec.resource]
			return why === undefined ? planResource(spec, state, inputs) : skippedPlan(spec, why)
		})
	if (lastOwner !== undefined && lastOwner !== state.owner) {
		for (const plan of resources) {
			plan.refusals.push(ownerRefusal(state.owner, lastOwner, deps.pinnedOwner !== undefined))
		}
	}
	const plan = planOf(resources)
	await readConnectors(deps, plan)
	return ok({ state, plan, specs, reads: inputs.live, inputs })
}

/**
 * Why a resource is not read this time: `idle` when there is nothing to do (no hostname needs DNS
 * and tidegate never wrote a record), a message when its token is missing, undefined otherwise.
 */
function skipReason(
	deps: EdgeSyncDeps,
	spec: ResourceSpec,
	history: History | undefined,
): string | undefined {
	if (spec.kind !== 'dns') {
		return undefined
	}
	if (spec.desired.records.length === 0 && !history) {
		return 'idle'
	}
	return deps.dnsApi ? undefined : DNS_SKIPPED
}

function ownerRefusal(written: string, pinned: string, byConfig: boolean) {
	return {
		rail: 'owner-mismatch' as const,
		message: `tidegate.yaml says owner "${written}", but this tidegate writes as "${pinned}" (${byConfig ? 'TIDEGATE_OWNER' : 'the owner of its last write'}); a commit cannot change whose entries tidegate manages. To move ownership deliberately, set TIDEGATE_OWNER in the Worker's configuration`,
	}
}

/** The tunnel's connectors on every plan, so "no cloudflared connected" shows on the dashboard. */
async function readConnectors(deps: EdgeSyncDeps, plan: Plan): Promise<void> {
	for (const resource of plan.resources) {
		if (resource.kind !== 'tunnel' || resource.liveVersion === null) {
			continue
		}
		const connectors = await deps.tunnelApi.getConnectors(resource)
		if (!connectors.ok) {
			resource.warnings.push(`could not read the tunnel's connectors: ${connectors.error.message}`)
			continue
		}
		resource.connectors = {
			count: connectors.value.length,
			versions: Object.fromEntries(connectors.value.map((c) => [c.id, c.configVersion])),
		}
		if (connectors.value.length === 0) {
			resource.warnings.push(
				'no cloudflared connector is connected to the tunnel: nothing it routes is reachable until one connects',
			)
		}
	}
}

/** Why applying stopped. */
export type ApplyFailure =
	| { kind: 'api'; failure: ApiFailure }
	| { kind: 'refused'; plan: Plan }
	/** A write left foreign items missing or the mode changed: the previous state was put back. */
	| { kind: 'verification'; resource: string; problems: string[]; restored: string }

/** The outcome of applying: the plan as finally applied (re-planned resources included). */
export interface ApplyOutcome {
	result: Result<Plan, ApplyFailure>
	warnings: string[]
}

/** Where a write is recorded; `runId` null: not recorded (the CLI). */
export interface ApplyRecord {
	runId: number | null
	commitSha: string | null
	/** For a rollback: the application each resource returns to. */
	rollbackOf?: Record<string, number>
}

/** Writes every managed resource that has changes, recording each write before it is made. */
export async function applySync(
	deps: EdgeSyncDeps,
	planned: PlannedSync,
	record: ApplyRecord,
): Promise<ApplyOutcome> {
	const warnings: string[] = []
	const resources: ResourcePlan[] = [...planned.plan.resources]
	const stop = (failure: ApplyFailure): ApplyOutcome => ({ result: err(failure), warnings })

	for (const [index, first] of resources.entries()) {
		const spec = planned.specs.find((s) => s.resource === first.resource)
		if (!spec || !first.managed || first.changes.length === 0) {
			continue
		}
		const binding = BINDINGS[first.kind]
		const history = planned.inputs.history[spec.resource]
		// Re-read just before writing (the API has no If-Match); if it moved, plan again against it.
		const fresh = await binding.read(deps, spec, history)
		if (!fresh.ok) {
			return stop({ kind: 'api', failure: fresh.error })
		}
		let plan = first
		const read = planned.reads[spec.resource]
		const moved = binding.moved(first, read?.ok ? read.value : undefined, fresh.value)
		if (moved) {
			warnings.push(moved)
			plan = planResource(spec, planned.state, {
				...planned.inputs,
				live: { ...planned.inputs.live, [spec.resource]: fresh },
			})
			if (plan.kind === 'tunnel' && first.kind === 'tunnel' && first.connectors) {
				plan.connectors = first.connectors
			}
			resources[index] = plan
			if (plan.refusals.length > 0) {
				return stop({ kind: 'refused', plan: planOf(resources) })
			}
			if (plan.changes.length === 0) {
				continue
			}
		}
		const guard = binding.guard?.(plan, fresh.value)
		if (guard) {
			plan.refusals.push({ rail: 'foreign-removal', message: guard })
			resources[index] = plan
			return stop({ kind: 'refused', plan: planOf(resources) })
		}
		const intent =
			record.runId === null
				? undefined
				: await deps.applications.begin({
						resource: plan.resource,
						runId: record.runId,
						commitSha: record.commitSha,
						owner: planned.state.owner,
						document: binding.recordOf(plan),
						before: fresh.value,
						rollbackOf: record.rollbackOf?.[plan.resource] ?? null,
						at: deps.now(),
					})
		const written = await binding.write(deps, plan, fresh.value)
		if (intent !== undefined) {
			await deps.applications.settle(intent, {
				applied: written.ok,
				remoteVersion: written.ok ? written.value.remoteVersion : null,
			})
		}
		if (!written.ok) {
			return stop({ kind: 'api', failure: written.error })
		}
		const check = await verifyWrite(deps, binding, spec, plan, fresh.value, history)
		if (check) {
			return stop(check)
		}
		warnings.push(...((await written.value.afterwards?.()) ?? []))
	}
	return { result: ok(planOf(resources)), warnings }
}

/** Reads back after a write; when foreign items went missing, puts the previous state back. */
async function verifyWrite(
	deps: EdgeSyncDeps,
	binding: (typeof BINDINGS)[ResourcePlan['kind']],
	spec: ResourceSpec,
	plan: ResourcePlan,
	before: unknown,
	history: History | undefined,
): Promise<ApplyFailure | undefined> {
	const after = await binding.read(deps, spec, history)
	if (!after.ok) {
		// Not proof of damage: the next run reads again and the foreign-vanished rail watches.
		return undefined
	}
	const problems = binding.verify(plan, before, after.value)
	if (problems.length === 0) {
		return undefined
	}
	if (!binding.restore) {
		return {
			kind: 'verification',
			resource: plan.resource,
			problems,
			restored: 'nothing to put back: tidegate wrote only its own items one by one',
		}
	}
	const restored = await binding.restore(deps, plan, before)
	return {
		kind: 'verification',
		resource: plan.resource,
		problems,
		restored: restored.ok
			? 'the list as read before the write was put back'
			: `putting the previous list back FAILED (${restored.error.message}); restore it by hand`,
	}
}
