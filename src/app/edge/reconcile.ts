/**
 * @module The reconcile use case: the tracked branch's tidegate.yaml → edge sync, with the Worker's
 * own rules around it: a token Cloudflare told to wait is not used, a suspended tidegate and
 * `sync.drift: report` plan without writing, dry runs only plan. Never throws for expected failures.
 */

import type { DesiredState } from '../../domain/desired-state/model.ts'
import type { AppliedDns } from '../../domain/edge/kinds/dns.ts'
import type { AppliedRoutes } from '../../domain/edge/kinds/routes.ts'
import type { AppliedSplitTunnel } from '../../domain/edge/kinds/split-tunnel.ts'
import type { TunnelDocument } from '../../domain/edge/kinds/tunnel.ts'
import type { Plan } from '../../domain/edge/plan.ts'
import { summarisePlan } from '../../domain/edge/render-plan.ts'
import type { Run, RunStatus } from '../../domain/edge/runs.ts'
import {
	dnsResource,
	routesResource,
	splitTunnelResource,
	tunnelResource,
} from '../../domain/edge/state.ts'
import type { ApiFailure } from '../../domain/ports.ts'
import type { Deps } from '../deps.ts'
import { raiseAlert } from '../ops/alerts.ts'
import { resolveDesiredState } from './desired-source.ts'
import { applySync, planSync } from './sync.ts'

/** How a run ended. Failures say whether the queue should try again, and when. */
export type RunResult =
	| {
			status: Exclude<RunStatus, 'queued' | 'running' | 'failed' | 'dead'>
			commitSha: string
			plan: Plan
			summary: string
			warnings: string[]
	  }
	| ({ status: 'failed'; commitSha?: string; plan?: Plan; warnings: string[] } & Failure)

/** A failure that is the world's fault, not a bug. */
export interface Failure {
	errorCode: string
	errorMessage: string
	retryable: boolean
	retryAfterSeconds?: number
}

/** Hooks into a run's progress. */
export interface ReconcileHooks {
	/** Called once the commit is known and before anything is written (for a `pending` status). */
	onCommit?(commitSha: string): Promise<void>
}

type ReconcileDeps = Pick<
	Deps,
	| 'now'
	| 'sleep'
	| 'settings'
	| 'applications'
	| 'repository'
	| 'fileCache'
	| 'desiredStateCache'
	| 'tunnelApi'
	| 'splitTunnelApi'
	| 'dnsApi'
	| 'routesApi'
	| 'pinnedOwner'
	| 'convergence'
	| 'source'
	| 'alerts'
	| 'jobs'
	| 'deadLetters'
	| 'log'
>

/** Reconciles the edge with the branch head for `run`. */
export async function reconcile(
	deps: ReconcileDeps,
	run: Run,
	hooks: ReconcileHooks = {},
): Promise<RunResult> {
	const desired = await resolveDesiredState(deps, deps.source)
	if (!desired.ok) {
		const { code, message, retryable, retryAfterSeconds, commitSha } = desired.error
		return {
			status: 'failed',
			errorCode: code,
			errorMessage: message,
			retryable,
			...(retryAfterSeconds !== undefined && { retryAfterSeconds }),
			...(commitSha !== undefined && { commitSha }),
			warnings: [],
		}
	}
	const { commitSha } = desired.value
	let { state } = desired.value
	await hooks.onCommit?.(commitSha)
	const warnings = desired.value.warnings.map((w) => `${deps.source.path}: ${w.message}`)
	const rollingBack = run.trigger === 'rollback'
	let rollbackOf: Record<string, number> | undefined
	if (rollingBack) {
		const target = await rollbackTarget(deps, state)
		if (!target) {
			return {
				status: 'failed',
				errorCode: 'nothing_to_roll_back',
				errorMessage:
					'tidegate has not applied anything before the current state, so there is nothing to roll back to',
				retryable: false,
				commitSha,
				warnings,
			}
		}
		state = target.state
		rollbackOf = target.rollbackOf
		warnings.push(target.description)
	}
	const blocked = await cloudflareBlocked(deps)
	if (blocked) {
		return { status: 'failed', ...blocked, commitSha, warnings }
	}

	const planned = await planSync(deps, state, run.force)
	if (!planned.ok) {
		return { status: 'failed', ...(await fromApi(deps, planned.error)), commitSha, warnings }
	}
	const { plan } = planned.value
	const summary = summarisePlan(plan)
	warnings.push(...plan.resources.flatMap((r) => r.warnings))
	const ended = (
		status: Exclude<RunStatus, 'queued' | 'running' | 'failed' | 'dead'>,
		text = summary,
	) => ({ status, commitSha, plan, summary: text, warnings }) as const

	if (plan.refused) {
		return ended('refused')
	}
	if (plan.inSync) {
		return ended('in_sync')
	}
	if (run.dryRun) {
		return ended('planned', `dry run: ${summary}`)
	}
	if (!rollingBack && (await deps.settings.get('suspended')) === 'true') {
		return ended('suspended', `suspended, not applied: ${summary}`)
	}
	if (run.trigger === 'drift' && state.sync.drift === 'report') {
		return ended('drift_reported', `drift reported, not corrected (sync.drift: report): ${summary}`)
	}

	const applied = await applySync(deps, planned.value, {
		runId: run.id,
		commitSha,
		...(rollbackOf && { rollbackOf }),
	})
	warnings.push(...applied.warnings)
	if (!applied.result.ok) {
		const failure = applied.result.error
		if (failure.kind === 'refused') {
			return {
				status: 'refused',
				commitSha,
				plan: failure.plan,
				summary: summarisePlan(failure.plan),
				warnings,
			}
		}
		if (failure.kind === 'verification') {
			return {
				status: 'failed',
				...(await afterLostItems(deps, failure)),
				commitSha,
				plan,
				warnings,
			}
		}
		return {
			status: 'failed',
			...(await fromApi(deps, failure.failure)),
			commitSha,
			plan,
			warnings,
		}
	}
	const finalPlan = applied.result.value
	if (rollingBack) {
		// Otherwise the next drift check would re-apply the branch head and undo the rollback.
		await deps.settings.set('suspended', 'true', deps.now())
		return {
			status: 'applied',
			commitSha,
			plan: finalPlan,
			summary: `rolled back: ${summarisePlan(finalPlan)}; syncing is suspended until resumed`,
			warnings,
		}
	}
	return finalPlan.inSync
		? {
				status: 'in_sync',
				commitSha,
				plan: finalPlan,
				summary: 'in sync: nothing to change',
				warnings,
			}
		: {
				status: 'applied',
				commitSha,
				plan: finalPlan,
				summary: `applied: ${summarisePlan(finalPlan)}`,
				warnings,
			}
}

/**
 * The desired state a rollback applies: the branch head's settings (owner, ids, rails) with each
 * resource's items replaced by those of the write a rollback returns to (resources.ts keeps that
 * stable: rolling back again, or retrying, lands on the same document). The tunnel document is
 * re-checked by the planner like any other (catch-all last and only last).
 */
async function rollbackTarget(
	deps: ReconcileDeps,
	head: DesiredState,
): Promise<
	{ state: DesiredState; rollbackOf: Record<string, number>; description: string } | undefined
> {
	const state: DesiredState = { ...head, splitTunnels: [...head.splitTunnels] }
	const rollbackOf: Record<string, number> = {}
	const parts: string[] = []
	const found = async (resource: string, what: string) => {
		const target = await deps.applications.rollbackTarget(resource)
		if (target) {
			rollbackOf[resource] = target.id
			parts.push(
				`${what} as applied by run ${target.runId}${target.commitSha ? ` (${target.commitSha.slice(0, 7)})` : ''}`,
			)
		}
		return target?.document
	}
	if (head.tunnel) {
		const tunnel = { ...head.tunnel }
		const document = (await found(tunnelResource(head.tunnel.tunnelId), 'tunnel')) as
			| TunnelDocument
			| undefined
		if (document) {
			tunnel.ingress = document.ingress
			if (document.originRequest) {
				tunnel.originRequest = document.originRequest
			} else {
				delete tunnel.originRequest
			}
		}
		const records = (await found(dnsResource(head.tunnel.tunnelId), 'DNS records')) as
			| AppliedDns
			| undefined
		if (records) {
			tunnel.dns = records.records.map((r) => ({ hostname: r.name, adopt: false, at: ['tunnel'] }))
		}
		const routes = (await found(
			routesResource(head.tunnel.accountId, head.tunnel.tunnelId),
			'routes',
		)) as AppliedRoutes | undefined
		if (routes) {
			tunnel.routes = routes.routes.map((r) => ({ ...r, adopt: false, at: ['tunnel', 'routes'] }))
		}
		state.tunnel = tunnel
	}
	for (const [index, profile] of head.splitTunnels.entries()) {
		const resource = splitTunnelResource(profile.accountId, profile.policy)
		const document = (await found(resource, `split tunnel (${profile.policy})`)) as
			| AppliedSplitTunnel
			| undefined
		if (document) {
			state.splitTunnels[index] = {
				...profile,
				entries: document.entries.map((e) => ({ ...e, adopt: false, tunnelRoute: false })),
			}
		}
	}
	return parts.length === 0
		? undefined
		: { state, rollbackOf, description: `rolling back to the ${parts.join(' and the ')}` }
}

/**
 * A write lost other teams' items (or switched the mode) although the plan kept them: Cloudflare
 * did not do what was asked. The previous state was put back; syncing is suspended until a person
 * looked, and an alert says what happened.
 */
async function afterLostItems(
	deps: ReconcileDeps,
	failure: { resource: string; problems: string[]; restored: string },
): Promise<Failure> {
	await deps.settings.set('suspended', 'true', deps.now())
	const message = `after writing ${failure.resource}, reading it back showed: ${failure.problems.join('; ')}. ${failure.restored}. Syncing is suspended until resumed`
	await raiseAlert(deps, 'edge', `:rotating_light: tidegate: ${message}`)
	return { errorCode: 'verification_failed', errorMessage: message, retryable: false }
}

/** Cloudflare blocks a token for minutes after a 429; until then, do not spend more of its budget. */
async function cloudflareBlocked(deps: ReconcileDeps): Promise<Failure | undefined> {
	const until = Number(await deps.settings.get('cloudflare.blocked_until'))
	const now = deps.now()
	if (Number.isFinite(until) && until > now) {
		const retryAfterSeconds = Math.ceil((until - now) / 1000)
		return {
			errorCode: 'cloudflare_rate_limited',
			errorMessage: `the Cloudflare API rate-limited tidegate's token; no calls until ${new Date(until).toISOString()}`,
			retryable: true,
			retryAfterSeconds,
		}
	}
	return undefined
}

/** Records a 429's wait so the next run honours it too, and names the failure. */
async function fromApi(deps: ReconcileDeps, failure: ApiFailure): Promise<Failure> {
	if (failure.kind === 'rate_limited' && failure.retryAfterSeconds !== undefined) {
		const now = deps.now()
		await deps.settings.set(
			'cloudflare.blocked_until',
			String(now + failure.retryAfterSeconds * 1000),
			now,
		)
	}
	return {
		errorCode: `cloudflare_${failure.kind}`,
		errorMessage: failure.message,
		retryable: failure.retryable,
		...(failure.retryAfterSeconds !== undefined && {
			retryAfterSeconds: failure.retryAfterSeconds,
		}),
	}
}
