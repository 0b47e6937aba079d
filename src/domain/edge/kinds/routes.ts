/**
 * @module Private-network routes (Zero Trust › Networks › Routes): without a route from a CIDR to
 * the tunnel, WARP clients that send that CIDR into Cloudflare reach nothing. The account's routes
 * are shared with other teams and other tunnels: tidegate's routes carry the owner suffix in their
 * comment and follow the ownership rule (rails.ts); a network already routed by someone else is
 * refused unless the route says `adopt: true`. Routes are written one by one.
 */
import type { RouteSpec, SplitTunnelState, TunnelState } from '../../desired-state/model.ts'
import { formatPath } from '../../diagnostics.ts'
import { cidrContains, parseCidr } from '../cidr.ts'
import {
	type Change,
	causeFinder,
	type LiveRead,
	type PlanBase,
	type Rails,
	sameJson,
} from '../plan.ts'
import {
	claimedWarning,
	claimOf,
	type Ownership,
	sharedRails,
	unreadableRefusal,
} from '../rails.ts'
import { type LiveRoute, type LiveRoutes, type RouteInput, routesResource } from '../state.ts'

/** One route operation, in the order they are sent. */
export type RouteOp =
	| { op: 'create'; route: RouteInput }
	| { op: 'edit'; id: string; route: RouteInput }
	| { op: 'delete'; id: string; network: string }

/** A route as tidegate last wrote it (history, D1). */
export interface RecordedRoute {
	network: string
	virtualNetworkId?: string
	comment: string
}

/** What tidegate last wrote, from its history. */
export interface AppliedRoutes {
	routes: RecordedRoute[]
}

/** What the desired state asks of routes for one tunnel; `routes` absent: only observed. */
export interface DesiredRoutes {
	accountId: string
	tunnelId: string
	routes: RouteSpec[] | undefined
	/** Owned include CIDRs that WARP sends into Cloudflare and that must reach this tunnel. */
	mustReach: string[]
}

/** A route in a plan's change, as people read it. */
export interface RouteView {
	network: string
	tunnelId: string
	comment?: string
	virtualNetworkId?: string
}

/** The plan for the routes to one tunnel. */
export interface RoutesPlan extends PlanBase {
	kind: 'routes'
	accountId: string
	tunnelId: string
	changes: Change<RouteView>[]
	ops: RouteOp[]
	/** tidegate's routes after the write (recorded before it). */
	owned: RecordedRoute[]
	/** Every network routed to this tunnel after the plan, whoever owns the route. */
	routedHere: string[]
}

/** Plans the routes to one tunnel, or (routes not managed) only checks they exist. */
export function planRoutes(
	desired: DesiredRoutes,
	liveRead: LiveRead<LiveRoutes> | undefined,
	applied: AppliedRoutes | undefined,
	ownership: Ownership,
	rails: Rails,
): RoutesPlan {
	const plan: RoutesPlan = {
		kind: 'routes',
		resource: routesResource(desired.accountId, desired.tunnelId),
		accountId: desired.accountId,
		tunnelId: desired.tunnelId,
		changes: [],
		ops: [],
		owned: [],
		routedHere: [],
		refusals: [],
		warnings: [],
		foreign: [],
		managed: desired.routes !== undefined,
	}
	if (!liveRead?.ok) {
		plan.refusals.push(unreadableRefusal("the account's private-network routes", liveRead?.error))
		return plan
	}
	const live = liveRead.value.routes
	const appliedByKey = new Map((applied?.routes ?? []).map((r) => [routeKey(r), r]))
	const cause = causeFinder(applied !== undefined, (a: RouteView, b: RouteView) =>
		sameJson(
			{ network: a.network, comment: a.comment, tunnelId: a.tunnelId },
			{ network: b.network, comment: b.comment, tunnelId: b.tunnelId },
		),
	)
	const appliedView = (key: string) => {
		const r = appliedByKey.get(key)
		return r && { ...r, tunnelId: desired.tunnelId }
	}
	const taken = new Set<string>()
	if (desired.routes !== undefined) {
		for (const spec of desired.routes) {
			const wanted: RouteInput = {
				network: spec.network,
				tunnelId: desired.tunnelId,
				comment: spec.comment,
				...(spec.virtualNetworkId !== undefined && { virtualNetworkId: spec.virtualNetworkId }),
			}
			const key = routeKey(spec)
			const owned = () =>
				plan.owned.push({
					network: spec.network,
					comment: spec.comment,
					...(spec.virtualNetworkId !== undefined && { virtualNetworkId: spec.virtualNetworkId }),
				})
			const existing = live.find(
				(r) =>
					!taken.has(r.id) &&
					normalised(r.network) === spec.network &&
					(spec.virtualNetworkId === undefined || r.virtualNetworkId === spec.virtualNetworkId),
			)
			if (!existing) {
				owned()
				plan.ops.push({ op: 'create', route: wanted })
				plan.changes.push({
					action: 'add',
					key,
					after: wanted,
					cause: cause(wanted, undefined, appliedView(key)),
				})
				continue
			}
			taken.add(existing.id)
			const claim = claimOf(key, existing.comment, ownership)
			const same = existing.tunnelId === wanted.tunnelId && existing.comment === wanted.comment
			if (claim === 'ours' || (claim === 'claimed' && same)) {
				owned()
				if (!same) {
					plan.ops.push({ op: 'edit', id: existing.id, route: wanted })
					plan.changes.push({
						action: 'update',
						key,
						before: view(existing),
						after: wanted,
						cause: cause(wanted, view(existing), appliedView(key)),
					})
				}
				continue
			}
			if (spec.adopt) {
				owned()
				plan.ops.push({ op: 'edit', id: existing.id, route: wanted })
				plan.changes.push({
					action: 'adopt',
					key,
					before: view(existing),
					after: wanted,
					cause: cause(wanted, view(existing), appliedView(key)),
				})
				continue
			}
			plan.foreign.push(foreignKey(existing))
			plan.refusals.push({
				rail: 'foreign-conflict',
				message: `tidegate.yaml${spec.line === undefined ? '' : ` line ${spec.line}`} (${formatPath(spec.at)}): ${spec.network} is already routed by a route tidegate did not create (to ${existing.tunnelId === desired.tunnelId ? 'this tunnel' : `tunnel ${existing.tunnelName ?? existing.tunnelId}`}, comment "${existing.comment ?? ''}", id ${existing.id}); it never changes a route it does not own. Remove it, or set adopt: true on the route to take it over${existing.tunnelId === desired.tunnelId ? '' : ' (its traffic then goes to this tunnel)'}`,
			})
		}
	}
	for (const route of live) {
		if (taken.has(route.id)) {
			continue
		}
		const key = routeKey({
			network: normalised(route.network),
			...(route.virtualNetworkId !== undefined && { virtualNetworkId: route.virtualNetworkId }),
		})
		const bareKey = routeKey({ network: normalised(route.network) })
		const claim = claimOf(ownership.written.has(key) ? key : bareKey, route.comment, ownership)
		if (claim === 'ours' && plan.managed) {
			const writtenKey = ownership.written.has(key) ? key : bareKey
			plan.ops.push({ op: 'delete', id: route.id, network: route.network })
			plan.changes.push({
				action: 'remove',
				key: writtenKey,
				before: view(route),
				cause: cause(undefined, view(route), appliedView(writtenKey)),
			})
			continue
		}
		plan.foreign.push(foreignKey(route))
		if (plan.managed && claim === 'claimed' && route.tunnelId === desired.tunnelId) {
			plan.warnings.push(claimedWarning(`the route ${route.network} to this tunnel`, ownership))
		}
	}
	const changed = new Set(plan.ops.flatMap((o) => (o.op === 'create' ? [] : [o.id])))
	plan.routedHere = [
		...new Set([
			...live
				.filter((r) => r.tunnelId === desired.tunnelId && !changed.has(r.id))
				.map((r) => normalised(r.network)),
			...plan.owned.map((r) => r.network),
		]),
	]
	for (const network of desired.mustReach) {
		const cidr = parseCidr(network)
		const covered = plan.routedHere.some((routed) => {
			const outer = parseCidr(routed)
			return cidr.ok && outer.ok && cidrContains(outer.value, cidr.value)
		})
		if (!covered) {
			plan.warnings.push(
				`no route sends ${network} to this tunnel: WARP clients send that traffic into Cloudflare, which cannot deliver it; declare it under tunnel.routes (or set tunnelRoute: false on the include entry if something else routes it)`,
			)
		}
	}
	sharedRails(plan, {
		rails,
		ownership,
		what: 'routes',
		label: (key) => key.replace(/^\S+ /, ''),
	})
	return plan
}

/** After the write: every route tidegate does not own is still there. */
export function verifyRoutes(plan: RoutesPlan, after: LiveRoutes): string[] {
	const now = new Set(after.routes.map(foreignKey))
	const lost = plan.foreign.filter((key) => !now.has(key))
	return lost.length === 0
		? []
		: [`routes tidegate does not own are missing after the write: ${lost.join(', ')}`]
}

/** The route keys tidegate owns according to one recorded write. */
export function routesOwnership(document: unknown): { keys: string[]; protected: string[] } {
	const routes = (document as Partial<AppliedRoutes> | null)?.routes ?? []
	return { keys: routes.map(routeKey), protected: [] }
}

/** The identity of a route: its virtual network (when written) and network. */
export function routeKey(route: {
	network: string
	virtualNetworkId?: string | undefined
}): string {
	return `${route.virtualNetworkId ?? '*'} ${route.network}`
}

function foreignKey(route: LiveRoute): string {
	return `${route.id} ${route.network}`
}

function normalised(network: string): string {
	const cidr = parseCidr(network)
	return cidr.ok ? cidr.value.text : network
}

function view(route: LiveRoute): RouteView {
	return {
		network: route.network,
		tunnelId: route.tunnelId,
		...(route.comment !== undefined && { comment: route.comment }),
		...(route.virtualNetworkId !== undefined && { virtualNetworkId: route.virtualNetworkId }),
	}
}

/**
 * What routes need from a desired state: the declared routes (if any), and every owned include
 * CIDR of a profile in the tunnel's account that WARP sends into Cloudflare and that should reach
 * the cluster through this tunnel.
 */
export function desiredRoutes(tunnel: TunnelState, profiles: SplitTunnelState[]): DesiredRoutes {
	const mustReach = profiles
		.filter((p) => p.accountId === tunnel.accountId && p.mode === 'include')
		.flatMap((p) => p.entries)
		.filter((e) => e.address !== undefined && e.tunnelRoute)
		.map((e) => e.address as string)
	return {
		accountId: tunnel.accountId,
		tunnelId: tunnel.tunnelId,
		routes: tunnel.routes,
		mustReach,
	}
}
