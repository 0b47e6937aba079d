/**
 * @module The reconcile use case: the tracked branch's tidegate.yaml → edge sync, with the Worker's
 * own rules around it: a token Cloudflare told to wait is not used, a suspended tidegate and
 * `sync.drift: report` plan without writing, dry runs only plan. Never throws for expected failures.
 */

import type { DesiredState } from '../../domain/desired-state/model.ts'
import type { Plan } from '../../domain/edge/plan.ts'
import { summarisePlan } from '../../domain/edge/render-plan.ts'
import type { Run, RunStatus } from '../../domain/edge/runs.ts'
import { splitTunnelResource, tunnelResource } from '../../domain/edge/state.ts'
import type { ApiFailure } from '../../domain/ports.ts'
import type { Deps } from '../deps.ts'
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
	| 'settings'
	| 'applications'
	| 'repository'
	| 'fileCache'
	| 'tunnelApi'
	| 'splitTunnelApi'
	| 'source'
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

	const applied = await applySync(deps, planned.value, { runId: run.id, commitSha })
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
 * resource's document replaced by the one tidegate applied before the newest.
 */
async function rollbackTarget(
	deps: ReconcileDeps,
	head: DesiredState,
): Promise<{ state: DesiredState; description: string } | undefined> {
	const state: DesiredState = { ...head }
	const parts: string[] = []
	if (head.tunnel) {
		const previous = await deps.applications.previousTunnel(tunnelResource(head.tunnel.tunnelId))
		if (previous) {
			state.tunnel = { ...head.tunnel, ingress: previous.ingress }
			if (previous.originRequest) {
				state.tunnel.originRequest = previous.originRequest
			} else {
				delete state.tunnel.originRequest
			}
			parts.push(
				`tunnel as applied by run ${previous.runId}${previous.commitSha ? ` (${previous.commitSha.slice(0, 7)})` : ''}`,
			)
		}
	}
	if (head.splitTunnel) {
		const resource = splitTunnelResource(head.splitTunnel.accountId, head.splitTunnel.policy)
		const previous = await deps.applications.previousSplitTunnel(resource)
		if (previous) {
			state.splitTunnel = { ...head.splitTunnel, include: previous.entries }
			parts.push(
				`split tunnel as applied by run ${previous.runId}${previous.commitSha ? ` (${previous.commitSha.slice(0, 7)})` : ''}`,
			)
		}
	}
	return parts.length === 0
		? undefined
		: { state, description: `rolling back to the ${parts.join(' and the ')}` }
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
