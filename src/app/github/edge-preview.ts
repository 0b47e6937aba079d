/**
 * @module The one place pull requests touch edge planning: a read-only plan of a desired state
 * against the live edge, rendered for people, and what a plan would change in canonical form (to
 * tell whether a merge applied what its pull request showed). The planner is handed reads only:
 * the write methods it is typed to need refuse without calling anything.
 */
import type { DesiredState } from '../../domain/desired-state/model.ts'
import { isPlan } from '../../domain/edge/plan.ts'
import type {
	ApplicationStore,
	DnsApi,
	RoutesApi,
	SplitTunnelApi,
	TunnelApi,
} from '../../domain/edge/ports.ts'
import { renderPlan, summarisePlan } from '../../domain/edge/render-plan.ts'
import type { ApiFailure } from '../../domain/ports.ts'
import { err, ok, type Result } from '../../lib/result.ts'
import { type EdgeSyncDeps, planSync } from '../edge/sync.ts'

/** The edge, readable only: what a pull request's plan may use. */
export interface EdgeReads {
	tunnelApi: Pick<TunnelApi, 'getConfig' | 'getConnectors'>
	splitTunnelApi: Pick<SplitTunnelApi, 'get'>
	/** Undefined when CF_DNS_API_TOKEN is not set (DNS is then skipped, with a warning). */
	dnsApi: Pick<DnsApi, 'zones' | 'records'> | undefined
	routesApi: Pick<RoutesApi, 'list'>
	applications: Pick<ApplicationStore, 'history' | 'lastOwner'>
	pinnedOwner: string | undefined
}

/** A plan as a pull request shows it. */
export interface EdgePreview {
	refused: boolean
	inSync: boolean
	/** One line (commit status). */
	summary: string
	/** The whole diff. */
	text: string
	warnings: string[]
	/** What it would change, canonical (see `planFingerprint`). */
	fingerprint: string
}

/** Plans `state` against the live edge with reads only; never force (a refusal stays a refusal). */
export async function previewEdgePlan(
	reads: EdgeReads,
	state: DesiredState,
	now: () => number,
): Promise<Result<EdgePreview, ApiFailure>> {
	const planned = await planSync(readOnly(reads, now), state, false)
	if (!planned.ok) {
		return planned
	}
	const { plan } = planned.value
	return ok({
		refused: plan.refused,
		inSync: plan.inSync,
		summary: summarisePlan(plan),
		text: renderPlan(plan),
		warnings: plan.resources.flatMap((r) => r.warnings),
		fingerprint: planFingerprint(plan) ?? '[]',
	})
}

/**
 * What a plan (as stored on a run) would change, as canonical JSON: resource, action, key, before
 * and after of every change, without who caused it. Null when the value is not a plan.
 */
export function planFingerprint(plan: unknown): string | null {
	if (!isPlan(plan)) {
		return null
	}
	return JSON.stringify(
		plan.resources.map((r) => [
			r.resource,
			r.changes.map((c) => [c.action, c.key, c.before ?? null, c.after ?? null, c.to ?? null]),
		]),
	)
}

function readOnly(reads: EdgeReads, now: () => number): EdgeSyncDeps {
	const refuse = async () =>
		err<ApiFailure>({
			kind: 'rejected',
			retryable: false,
			message: 'a pull request is planned with reads only; nothing is written',
		})
	const dns = reads.dnsApi
	return {
		tunnelApi: {
			getConfig: (ref) => reads.tunnelApi.getConfig(ref),
			getConnectors: (ref) => reads.tunnelApi.getConnectors(ref),
			putConfig: refuse,
		},
		splitTunnelApi: { get: (ref) => reads.splitTunnelApi.get(ref), put: refuse },
		dnsApi: dns && {
			zones: (accountId) => dns.zones(accountId),
			records: (zoneId, name) => dns.records(zoneId, name),
			create: refuse,
			overwrite: refuse,
			delete: refuse,
		},
		routesApi: {
			list: (accountId) => reads.routesApi.list(accountId),
			create: refuse,
			edit: refuse,
			delete: refuse,
		},
		applications: {
			history: (resource) => reads.applications.history(resource),
			lastOwner: () => reads.applications.lastOwner(),
			begin: async () => {
				throw new Error('a pull request plan records nothing')
			},
			settle: async () => {
				throw new Error('a pull request plan records nothing')
			},
			rollbackTarget: async () => undefined,
		},
		pinnedOwner: reads.pinnedOwner,
		now,
		// A plan never writes, so nothing waits for connectors.
		sleep: async () => {},
		convergence: { windowMs: 0, pollMs: 0 },
	}
}
