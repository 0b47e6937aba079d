/**
 * @module Closing the loop on the commit (docs/flux.md, "tidegate/deploy"): a Flux event that
 * decides a Kustomization's or HelmRelease's outcome at a commit queues a `deploy.status` job; the
 * consumer reads the deployment from the ledger and posts `tidegate/deploy` on that commit when
 * what it says changed. Only commits tidegate saw pushed get one.
 */
import { type DeployStatusMessage, jobMessage } from '../../contracts/queue.ts'
import { DEPLOYER_KINDS, type FluxEvent } from '../../domain/flux/event.ts'
import { DEPLOY_CONTEXT, deployStatusOf } from '../../domain/github/deploy-status.ts'
import type { Deps } from '../deps.ts'
import { alertOnTokenRefused } from '../ops/run-alerts.ts'
import { type JobOutcome, retryWhileAttemptsRemain } from '../retry.ts'

/** After this many attempts a status GitHub keeps refusing for now is given up (the next event tries again). */
export const DEPLOY_STATUS_MAX_ATTEMPTS = 5

/**
 * Queues the status update an accepted Flux event may call for. The event is already recorded, so
 * a failed send is logged rather than failing the intake (Flux's resend would be a duplicate).
 */
export async function queueDeployStatus(
	deps: Pick<Deps, 'jobs' | 'log'>,
	event: FluxEvent,
	stale: boolean,
): Promise<void> {
	const decides = event.outcome === 'success' || event.outcome === 'failure'
	if (stale || !decides || !event.commitSha || !DEPLOYER_KINDS.includes(event.object.kind)) {
		return
	}
	try {
		await deps.jobs.send(jobMessage('deploy.status', { commitSha: event.commitSha }))
	} catch (e) {
		deps.log.log('error', 'deploy.status_not_queued', {
			commitSha: event.commitSha,
			error: e instanceof Error ? e.message : String(e),
		})
	}
}

/** Runs one `deploy.status` message. */
export async function deployStatusJob(
	deps: Deps,
	message: DeployStatusMessage,
	attempts: number,
): Promise<JobOutcome> {
	const sha = message.commitSha
	const [deployment] = await deps.fluxLedger.listDeployments({
		limit: 1,
		commit: sha,
		branch: deps.source.branch,
	})
	if (!deployment || deployment.commitSha !== sha || deployment.pushedAt === null) {
		deps.log.log('info', 'deploy.status_skipped', { commitSha: sha, reason: 'not a pushed commit' })
		return { retry: false }
	}
	const status = deployStatusOf(deployment)
	const last = await deps.deployStatuses.get(sha)
	if (!status || (last?.state === status.state && last.description === status.description)) {
		return { retry: false }
	}
	const posted = await deps.repository.postStatus(sha, {
		...status,
		context: DEPLOY_CONTEXT,
		...(deps.publicUrl && { targetUrl: `${deps.publicUrl}/api/deployments?commit=${sha}` }),
	})
	if (posted.ok) {
		await deps.deployStatuses.record(sha, status, deps.now())
		return { retry: false }
	}
	deps.log.log('warn', 'github.status_failed', {
		commitSha: sha,
		context: DEPLOY_CONTEXT,
		error: posted.error.message,
	})
	if (posted.error.kind === 'auth') {
		await alertOnTokenRefused(deps, posted.error.message, `posting ${DEPLOY_CONTEXT}`)
	}
	return retryWhileAttemptsRemain(posted.error, attempts, DEPLOY_STATUS_MAX_ATTEMPTS)
}
