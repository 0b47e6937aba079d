/**
 * @module The edge as a set of resources, each of one kind: which resources a desired state
 * manages, how tidegate's history of each becomes "last applied" and ownership, and the whole
 * plan. This is the one place that knows every kind; adding a kind = its module under kinds/,
 * one line in `KINDS`, its adapter and its stand-in routes.
 */

import type { DesiredState } from '../desired-state/model.ts'
import { ownerSuffix } from '../desired-state/model.ts'
import { type AppliedDns, type DesiredDns, desiredDns, dnsOwnership, planDns } from './kinds/dns.ts'
import {
	type AppliedRoutes,
	type DesiredRoutes,
	desiredRoutes,
	planRoutes,
	routesOwnership,
} from './kinds/routes.ts'
import {
	type AppliedSplitTunnel,
	planSplitTunnel,
	splitTunnelOwnership,
} from './kinds/split-tunnel.ts'
import { type AppliedTunnel, planTunnel } from './kinds/tunnel.ts'
import { type LiveRead, type Plan, planOf, type Rails, type ResourcePlan } from './plan.ts'
import type { Ownership } from './rails.ts'
import {
	dnsResource,
	type EdgeKind,
	type History,
	type LiveDns,
	type LiveRoutes,
	type LiveSplitTunnel,
	type LiveTunnelConfig,
	routesResource,
	splitTunnelResource,
	tunnelResource,
} from './state.ts'

/** One resource the desired state manages, with what it wants of it. */
export type ResourceSpec =
	| { kind: 'tunnel'; resource: string; desired: NonNullable<DesiredState['tunnel']> }
	| { kind: 'split-tunnel'; resource: string; desired: DesiredState['splitTunnels'][number] }
	| { kind: 'dns'; resource: string; desired: DesiredDns }
	| { kind: 'routes'; resource: string; desired: DesiredRoutes }

/** The resources of a desired state, in the order they are written (tunnel before its DNS). */
export function edgeResources(state: DesiredState): ResourceSpec[] {
	const out: ResourceSpec[] = []
	const tunnel = state.tunnel
	if (tunnel) {
		out.push({ kind: 'tunnel', resource: tunnelResource(tunnel.tunnelId), desired: tunnel })
		const routes = desiredRoutes(tunnel, state.splitTunnels)
		// Routes not managed are still read when an include CIDR should reach the tunnel (a check).
		if (routes.routes !== undefined || routes.mustReach.length > 0) {
			out.push({
				kind: 'routes',
				resource: routesResource(tunnel.accountId, tunnel.tunnelId),
				desired: routes,
			})
		}
		out.push({
			kind: 'dns',
			resource: dnsResource(tunnel.tunnelId),
			desired: desiredDns(tunnel, state.owner),
		})
	}
	for (const profile of state.splitTunnels) {
		out.push({
			kind: 'split-tunnel',
			resource: splitTunnelResource(profile.accountId, profile.policy),
			desired: profile,
		})
	}
	return out
}

/** What the planning needs of a kind: its planner, and the keys its recorded writes name. */
interface Kind<D, L, A> {
	plan(
		desired: D,
		live: LiveRead<L> | undefined,
		applied: A | undefined,
		ownership: Ownership,
		rails: Rails,
	): ResourcePlan
	named(document: unknown): { keys: string[]; protected: string[] }
}

type SpecOf<K extends EdgeKind> = Extract<ResourceSpec, { kind: K }>['desired']

/** Every kind; a new kind is one line here. */
const KINDS: { [K in EdgeKind]: Kind<SpecOf<K>, never, never> } = {
	tunnel: kind<SpecOf<'tunnel'>, LiveTunnelConfig, AppliedTunnel>({
		// The tunnel is tidegate's alone: no ownership to read.
		plan: (desired, live, applied, _ownership, rails) => planTunnel(desired, live, applied, rails),
		named: () => ({ keys: [], protected: [] }),
	}),
	'split-tunnel': kind<SpecOf<'split-tunnel'>, LiveSplitTunnel, AppliedSplitTunnel>({
		plan: planSplitTunnel,
		named: splitTunnelOwnership,
	}),
	dns: kind<SpecOf<'dns'>, LiveDns, AppliedDns>({ plan: planDns, named: dnsOwnership }),
	routes: kind<SpecOf<'routes'>, LiveRoutes, AppliedRoutes>({
		plan: planRoutes,
		named: routesOwnership,
	}),
}

/** Types one kind's entry; live state and history reach it as read, unchecked (they are its own). */
function kind<D, L, A>(k: Kind<D, L, A>): Kind<D, never, never> {
	return k as unknown as Kind<D, never, never>
}

/** Every key tidegate's recorded writes of a resource name (accepted, pending or failed). */
export function writtenKeys(kind: EdgeKind, history: History | undefined): ReadonlySet<string> {
	return ownershipFrom(kind, '', history).written
}

/**
 * Ownership from history: what the newest accepted write named, plus what newer writes of unknown
 * or failed outcome named (they may have reached Cloudflare), and the foreign keys it saw.
 */
export function ownershipFrom(
	kind: EdgeKind,
	owner: string,
	history: History | undefined,
): Ownership {
	const written = new Set<string>()
	const protectedKeys = new Set<string>()
	const writes = [...(history?.unsettled ?? []), ...(history?.latest ? [history.latest] : [])]
	for (const write of writes) {
		const named = KINDS[kind].named(write.document)
		for (const key of named.keys) {
			written.add(key)
		}
		for (const key of named.protected) {
			protectedKeys.add(key)
		}
	}
	const foreign = (history?.latest?.document as { foreign?: unknown } | undefined)?.foreign
	return {
		suffix: ownerSuffix(owner),
		written,
		protected: protectedKeys,
		foreignBefore: Array.isArray(foreign) ? (foreign as string[]) : null,
		hasHistory: writes.length > 0,
	}
}

/** The planner's inputs beyond the desired state, by resource key. */
export interface PlanInputs {
	live: Record<string, LiveRead<unknown>>
	history: Record<string, History | undefined>
	/** Resources that are not synced this time, with the reason (e.g. a token is not set). */
	skipped?: Record<string, string>
	/** Lifts `max-deletions` and `foreign-vanished`, and only those rails. */
	force: boolean
}

/** Plans one resource. */
export function planResource(
	spec: ResourceSpec,
	state: DesiredState,
	inputs: PlanInputs,
): ResourcePlan {
	const history = inputs.history[spec.resource]
	const planner = KINDS[spec.kind] as Kind<SpecOf<typeof spec.kind>, unknown, unknown>
	return planner.plan(
		spec.desired,
		inputs.live[spec.resource],
		history?.latest?.document,
		ownershipFrom(spec.kind, state.owner, history),
		{ maxDeletions: state.sync.maxDeletions, force: inputs.force },
	)
}

/** Plans every resource the desired state manages; a skipped one is planned as unmanaged. */
export function planEdge(state: DesiredState, inputs: PlanInputs): Plan {
	return planOf(
		edgeResources(state).map((spec) => {
			const skipped = inputs.skipped?.[spec.resource]
			return skipped === undefined ? planResource(spec, state, inputs) : skippedPlan(spec, skipped)
		}),
	)
}

/** A resource not synced this time: an empty plan that says why, never a silent no-op. */
export function skippedPlan(spec: ResourceSpec, why: string): ResourcePlan {
	const plan = planResource(spec, { ...EMPTY_STATE }, { live: {}, history: {}, force: false })
	return { ...plan, refusals: [], warnings: [why], managed: false }
}

const EMPTY_STATE: DesiredState = {
	version: 1,
	owner: 'none',
	splitTunnels: [],
	egress: { targets: [], expect: [], checkIngressTargets: false },
	sync: { drift: 'correct', maxDeletions: 0 },
}
