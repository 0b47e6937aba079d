/**
 * @module How each kind of edge resource is read, written, checked and restored through its port.
 * The plan comes from the domain (resources.ts); the engine (sync.ts) applies the same steps and
 * rails to every kind. Whole-document kinds (tunnel, split tunnel) PUT once; record kinds (DNS,
 * routes) send one call per operation, in the plan's order.
 */
import { type DnsPlan, recordKey, verifyDns, zoneOf } from '../../domain/edge/kinds/dns.ts'
import { type RoutesPlan, verifyRoutes } from '../../domain/edge/kinds/routes.ts'
import {
	foreignKept,
	type SplitTunnelPlan,
	verifySplitTunnel,
} from '../../domain/edge/kinds/split-tunnel.ts'
import type { TunnelPlan } from '../../domain/edge/kinds/tunnel.ts'
import { type ResourcePlan, sameJson } from '../../domain/edge/plan.ts'
import type { DnsApi, RoutesApi, SplitTunnelApi, TunnelApi } from '../../domain/edge/ports.ts'
import { type ResourceSpec, writtenKeys } from '../../domain/edge/resources.ts'
import type {
	History,
	LiveDns,
	LiveDnsRecord,
	LiveRoutes,
	LiveSplitTunnel,
	LiveTunnelConfig,
} from '../../domain/edge/state.ts'
import type { ApiFailure } from '../../domain/ports.ts'
import { ok, type Result } from '../../lib/result.ts'

/** The ports and settings the bindings use. */
export interface EdgeApis {
	tunnelApi: TunnelApi
	splitTunnelApi: SplitTunnelApi
	/** Undefined when CF_DNS_API_TOKEN is not set: DNS is then skipped, with a warning. */
	dnsApi: DnsApi | undefined
	routesApi: RoutesApi
	now(): number
	sleep(ms: number): Promise<void>
	/** How long a tunnel write waits for every connector to run the new version. */
	convergence: { windowMs: number; pollMs: number }
}

/** A write's outcome: the version Cloudflare reports (tunnel) and checks to run afterwards. */
export interface Written {
	remoteVersion: number | null
	afterwards?: () => Promise<string[]>
}

/** One kind's steps. `read` is the live state, the same shape the planner takes. */
export interface KindBinding {
	read(
		apis: EdgeApis,
		spec: ResourceSpec,
		history: History | undefined,
	): Promise<Result<unknown, ApiFailure>>
	/** Why the live state moved between plan and write, or null when it did not. */
	moved(plan: ResourcePlan, planned: unknown, fresh: unknown): string | null
	/** The writer's own check of the document against the read it was planned from. */
	guard?(plan: ResourcePlan, read: unknown): string | undefined
	write(apis: EdgeApis, plan: ResourcePlan, read: unknown): Promise<Result<Written, ApiFailure>>
	/** What tidegate records as written (the kind's `Applied…` shape plus the foreign keys seen). */
	recordOf(plan: ResourcePlan): unknown
	/** Problems found when reading back after the write: lost foreign items, a changed mode. */
	verify(plan: ResourcePlan, before: unknown, after: unknown): string[]
	/** Puts back the state read before the write (whole-document kinds only). */
	restore?(apis: EdgeApis, plan: ResourcePlan, before: unknown): Promise<Result<void, ApiFailure>>
}

const tunnel: KindBinding = {
	read: (apis, spec) =>
		spec.kind === 'tunnel' ? apis.tunnelApi.getConfig(spec.desired) : Promise.resolve(ok(null)),
	moved(plan, _planned, fresh) {
		const { liveVersion } = plan as TunnelPlan
		const version = (fresh as LiveTunnelConfig).version
		return version === liveVersion
			? null
			: `the tunnel configuration moved from version ${liveVersion} to ${version} between plan and write (a hand edit?); re-planned against it`
	},
	async write(apis, plan) {
		const { accountId, tunnelId, document } = plan as TunnelPlan
		const put = await apis.tunnelApi.putConfig({ accountId, tunnelId }, document)
		if (!put.ok) {
			return put
		}
		const version = put.value.version
		return ok({
			remoteVersion: version,
			afterwards: () => connectorConvergence(apis, { accountId, tunnelId }, version),
		})
	},
	recordOf: (plan) => (plan as TunnelPlan).document,
	verify: () => [],
}

const splitTunnel: KindBinding = {
	read: (apis, spec) =>
		spec.kind === 'split-tunnel'
			? apis.splitTunnelApi.get(spec.desired)
			: Promise.resolve(ok(null)),
	// The list is shared: writing a stale copy would wipe another team's fresh entry.
	moved: (_plan, planned, fresh) =>
		sameJson(planned, fresh)
			? null
			: 'the split-tunnel list changed between plan and write; re-planned against it',
	guard: (plan, read) => foreignKept(plan as SplitTunnelPlan, read as LiveSplitTunnel),
	async write(apis, plan) {
		const { accountId, policy, mode, document } = plan as SplitTunnelPlan
		const put = await apis.splitTunnelApi.put({ accountId, policy }, mode, document)
		return put.ok ? ok({ remoteVersion: null }) : put
	},
	recordOf: (plan) => {
		const { owned, foreign, mode } = plan as SplitTunnelPlan
		return { entries: owned, foreign, mode }
	},
	verify: (plan, before, after) =>
		verifySplitTunnel(plan as SplitTunnelPlan, before as LiveSplitTunnel, after as LiveSplitTunnel),
	async restore(apis, plan, before) {
		const { accountId, policy } = plan as SplitTunnelPlan
		const read = before as LiveSplitTunnel
		const put = await apis.splitTunnelApi.put({ accountId, policy }, read.mode, read.entries)
		return put.ok ? ok(undefined) : put
	},
}

const dns: KindBinding = {
	async read(apis, spec, history) {
		if (spec.kind !== 'dns' || !apis.dnsApi) {
			return ok(null)
		}
		const api = apis.dnsApi
		const zones = await api.zones(spec.desired.accountId)
		if (!zones.ok) {
			return zones
		}
		// Every desired name, and every name tidegate wrote before (it may have to remove it).
		const owned = writtenKeys('dns', history)
		const names = [...new Set([...spec.desired.records.map((r) => r.hostname), ...owned])]
		const records: LiveDnsRecord[] = []
		for (const name of names) {
			const zone = zoneOf(name, zones.value)
			if (!zone) {
				continue
			}
			const found = await api.records(zone.id, name)
			if (!found.ok) {
				return found
			}
			records.push(...found.value)
		}
		return ok({ zones: zones.value, records } satisfies LiveDns)
	},
	moved: (_plan, planned, fresh) =>
		sameJson(recordKeys(planned as LiveDns), recordKeys(fresh as LiveDns))
			? null
			: 'DNS records changed between plan and write; re-planned against them',
	async write(apis, plan) {
		const api = apis.dnsApi
		if (!api) {
			return ok({ remoteVersion: null })
		}
		return inOrder((plan as DnsPlan).ops, (op) =>
			op.op === 'create'
				? api.create(op.zoneId, op.record)
				: op.op === 'overwrite'
					? api.overwrite(op.zoneId, op.id, op.record)
					: api.delete(op.zoneId, op.id),
		)
	},
	recordOf: (plan) => {
		const { owned, foreign } = plan as DnsPlan
		return { records: owned, foreign }
	},
	verify: (plan, _before, after) => verifyDns(plan as DnsPlan, after as LiveDns),
}

const routes: KindBinding = {
	async read(apis, spec) {
		if (spec.kind !== 'routes') {
			return ok(null)
		}
		const list = await apis.routesApi.list(spec.desired.accountId)
		return list.ok ? ok({ routes: list.value } satisfies LiveRoutes) : list
	},
	moved: (_plan, planned, fresh) =>
		sameJson(planned, fresh)
			? null
			: 'routes changed between plan and write; re-planned against them',
	async write(apis, plan) {
		const { accountId, ops } = plan as RoutesPlan
		return inOrder(ops, (op) =>
			op.op === 'create'
				? apis.routesApi.create(accountId, op.route)
				: op.op === 'edit'
					? apis.routesApi.edit(accountId, op.id, op.route)
					: apis.routesApi.delete(accountId, op.id),
		)
	},
	recordOf: (plan) => {
		const { owned, foreign } = plan as RoutesPlan
		return { routes: owned, foreign }
	},
	verify: (plan, _before, after) => verifyRoutes(plan as RoutesPlan, after as LiveRoutes),
}

/** Every kind's binding. */
export const BINDINGS: Record<ResourcePlan['kind'], KindBinding> = {
	tunnel,
	'split-tunnel': splitTunnel,
	dns,
	routes,
}

/** Sends a record kind's operations one by one; the first failure stops the rest. */
async function inOrder<Op>(
	ops: readonly Op[],
	send: (op: Op) => Promise<Result<unknown, ApiFailure>>,
): Promise<Result<Written, ApiFailure>> {
	for (const op of ops) {
		const done = await send(op)
		if (!done.ok) {
			return done
		}
	}
	return ok({ remoteVersion: null })
}

function recordKeys(live: LiveDns): string[] {
	return live.records.map(recordKey).sort()
}

/**
 * cloudflared picks a new configuration up asynchronously and keeps its last good one when it
 * rejects a new one. So connectors are polled for a bounded window; one still behind after it
 * is reported (a connector that rejected the version, or one that is slow).
 */
export async function connectorConvergence(
	apis: Pick<EdgeApis, 'tunnelApi' | 'now' | 'sleep' | 'convergence'>,
	tunnel: { accountId: string; tunnelId: string },
	version: number,
): Promise<string[]> {
	const deadline = apis.now() + apis.convergence.windowMs
	for (;;) {
		const connectors = await apis.tunnelApi.getConnectors(tunnel)
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
		const behind = connectors.value.filter(
			(c) => c.configVersion !== null && c.configVersion < version,
		)
		if (behind.length === 0) {
			return []
		}
		if (apis.now() + apis.convergence.pollMs > deadline) {
			const waited = Math.round(apis.convergence.windowMs / 1000)
			return behind.map(
				(c) =>
					`connector ${c.id} still reports config version ${c.configVersion}, not ${version}, after ${waited} s; a connector that stays behind rejected it (check its logs)`,
			)
		}
		await apis.sleep(apis.convergence.pollMs)
	}
}
