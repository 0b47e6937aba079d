/**
 * @module The one place pull requests touch edge planning: a read-only plan of a desired state
 * against the live edge, rendered for people, and what a plan would change in canonical form (to
 * tell whether a merge applied what its pull request showed). The planner is handed reads only:
 * the write methods it is typed to need refuse without calling anything.
 */
import type { DesiredState } from '../../domain/desired-state/model.ts'
import { isPlan } from '../../domain/edge/plan.ts'
import type { ApplicationStore, SplitTunnelApi, TunnelApi } from '../../domain/edge/ports.ts'
import { renderPlan, summarisePlan } from '../../domain/edge/render-plan.ts'
import type { ApiFailure } from '../../domain/ports.ts'
import { err, ok, type Result } from '../../lib/result.ts'
import { type EdgeSyncDeps, planSync } from '../edge/sync.ts'

/** The edge, readable only: what a pull request's plan may use. */
export interface EdgeReads {
	tunnelApi: Pick<TunnelApi, 'getConfig'>
	splitTunnelApi: Pick<SplitTunnelApi, 'get'>
	applications: Pick<ApplicationStore, 'latestTunnel' | 'latestSplitTunnel'>
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
	return {
		tunnelApi: {
			getConfig: (ref) => reads.tunnelApi.getConfig(ref),
			putConfig: refuse,
			getConnectors: refuse,
		},
		splitTunnelApi: { get: (ref) => reads.splitTunnelApi.get(ref), putInclude: refuse },
		applications: {
			latestTunnel: (resource) => reads.applications.latestTunnel(resource),
			latestSplitTunnel: (resource) => reads.applications.latestSplitTunnel(resource),
			previousTunnel: async () => undefined,
			previousSplitTunnel: async () => undefined,
			record: async () => {
				throw new Error('a pull request plan records nothing')
			},
		},
		now,
	}
}
