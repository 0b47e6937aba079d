/**
 * @module GitHub delivery intake, after the signature was verified: dedupe on X-GitHub-Delivery,
 * record, and queue a reconcile for pushes to the tracked branch, or the check of a pull request
 * that targets it. A push is a hint; the reconcile reads the branch head itself, so late or
 * repeated pushes cannot roll anything back. Likewise the pull-request job reads the pull request.
 */
import { type JobMessage, jobMessage } from '../../contracts/queue.ts'
import type { Run } from '../../domain/edge/runs.ts'
import type { GitHubDelivery } from '../../domain/github/ports.ts'
import type { PullRequestPayload, PushPayload } from '../../webhooks/github.ts'
import type { Deps } from '../deps.ts'
import { failUnsent, newRun, sendRun } from '../edge/enqueue.ts'
import { preflightMessage } from '../preflight/job.ts'

/** A verified delivery, its payload parsed for the events tidegate acts on. */
export interface VerifiedDelivery {
	deliveryId: string
	hookId: string | null
	/** SHA-256 (hex) of the raw body: a replay of a captured body under a new id is a duplicate. */
	bodyHash: string
	event:
		| { name: 'ping' }
		| { name: 'push'; payload: PushPayload }
		| { name: 'pull_request'; payload: PullRequestPayload }
		| { name: string; payload?: undefined }
}

/** What became of a delivery. */
export type IngestOutcome =
	| { kind: 'duplicate'; delivery: GitHubDelivery }
	| { kind: 'ping' }
	| { kind: 'ignored'; reason: string }
	| { kind: 'queued'; runId: number }
	| { kind: 'queued-pull-request'; number: number }

type IngestDeps = Pick<
	Deps,
	| 'deliveries'
	| 'runs'
	| 'jobs'
	| 'now'
	| 'source'
	| 'repositoryName'
	| 'fluxReceiver'
	| 'receiverNotifications'
	| 'pullRequestChecks'
>

/** Records a verified delivery once and queues what it asks for. */
export async function ingestGitHubDelivery(
	deps: IngestDeps,
	delivery: VerifiedDelivery,
): Promise<IngestOutcome> {
	const push = pushOf(delivery)
	const pull = pullOf(delivery)
	const record: GitHubDelivery = {
		deliveryId: delivery.deliveryId,
		event: delivery.event.name,
		status: 'received',
		reason: null,
		ref: push?.ref ?? (pull ? `refs/pull/${pull.number}/head` : null),
		afterSha: push?.after ?? pull?.pull_request.head.sha ?? null,
		runId: null,
		hookId: delivery.hookId,
		bodyHash: delivery.bodyHash,
		receivedAt: deps.now(),
	}
	const ignored = whyIgnored(deps, delivery)
	// One atomic claim decides: a new delivery, or one left `received` by a handler that answered 5xx
	// or died, is processed; anything already handled, or being handled by a racing copy, is a duplicate;
	// so is a body another delivery id already carried (a captured delivery replayed under a new id).
	// A push that asks for a reconcile gets its run row in the same round trip.
	const claim = await deps.deliveries.claim(
		record,
		deps.now() - CLAIM_TIMEOUT_MS,
		ignored === undefined && push
			? newRun({ trigger: 'push', deliveryId: delivery.deliveryId }, record.receivedAt)
			: undefined,
	)
	if (!claim.claimed) {
		return { kind: 'duplicate', delivery: claim.existing ?? record }
	}
	try {
		return await processClaimed(deps, delivery, record, { run: claim.run, ignored })
	} catch (e) {
		// Answered 5xx: GitHub's redelivery of this id must be processed, not taken for a duplicate.
		await deps.deliveries
			.release(delivery.deliveryId, `not queued: ${e instanceof Error ? e.message : String(e)}`)
			.catch(() => undefined)
		throw e
	}
}

function pushOf(delivery: VerifiedDelivery): PushPayload | undefined {
	return delivery.event.name === 'push' ? delivery.event.payload : undefined
}

function pullOf(delivery: VerifiedDelivery): PullRequestPayload | undefined {
	return delivery.event.name === 'pull_request' ? delivery.event.payload : undefined
}

/** A claim older than this belongs to a handler that died; the delivery may be claimed again. */
const CLAIM_TIMEOUT_MS = 60_000

async function processClaimed(
	deps: IngestDeps,
	delivery: VerifiedDelivery,
	record: GitHubDelivery,
	decided: { run: Run | undefined; ignored: string | undefined },
): Promise<IngestOutcome> {
	const { run, ignored } = decided
	if (delivery.event.name === 'ping') {
		await deps.deliveries.save({ ...record, status: 'ping' })
		return { kind: 'ping' }
	}
	const pull = pullOf(delivery)
	if (pull) {
		return processPullRequest(deps, delivery.deliveryId, record, pull, ignored)
	}
	let companions: JobMessage[] = []
	const push = pushOf(delivery)
	if (push && tracksBranch(deps, push)) {
		try {
			companions = await pushCompanions(deps, delivery.deliveryId, push)
		} catch (e) {
			if (run) {
				await failUnsent(deps, run.id, e).catch(() => undefined)
			}
			throw e
		}
	}
	if (ignored !== undefined) {
		await deps.jobs.sendBatch(companions)
		await deps.deliveries.save({ ...record, status: 'ignored', reason: ignored })
		return { kind: 'ignored', reason: ignored }
	}
	if (!run) {
		throw new Error('the claim of a push to reconcile came back without its run')
	}
	await sendRun(deps, run, companions)
	await deps.deliveries.save({ ...record, status: 'queued', runId: run.id })
	return { kind: 'queued', runId: run.id }
}

/**
 * Queues the check of a pull request's head, or records a merge (its commit's edge-sync status
 * then compares what was applied with the plan shown on the pull request).
 */
async function processPullRequest(
	deps: IngestDeps,
	deliveryId: string,
	record: GitHubDelivery,
	pull: PullRequestPayload,
	ignored: string | undefined,
): Promise<IngestOutcome> {
	if (ignored !== undefined) {
		await deps.deliveries.save({ ...record, status: 'ignored', reason: ignored })
		return { kind: 'ignored', reason: ignored }
	}
	const mergeCommitSha = pull.pull_request.merge_commit_sha
	if (pull.action === 'closed' && mergeCommitSha) {
		await deps.pullRequestChecks.recordMerge({
			number: pull.number,
			headSha: pull.pull_request.head.sha,
			mergeCommitSha,
			mergedAt: deps.now(),
		})
		const reason = `pull request #${pull.number} was merged as ${mergeCommitSha.slice(0, 7)}; recorded for that commit's tidegate/edge-sync`
		await deps.deliveries.save({ ...record, status: 'ignored', reason })
		return { kind: 'ignored', reason }
	}
	await deps.jobs.send(
		jobMessage('pull_request', {
			deliveryId,
			number: pull.number,
			headSha: pull.pull_request.head.sha,
		}),
	)
	await deps.deliveries.save({ ...record, status: 'queued' })
	return { kind: 'queued-pull-request', number: pull.number }
}

/** The `pull_request` actions that (re)check a pull request's head. */
const CHECKED_ACTIONS = new Set(['opened', 'synchronize', 'reopened', 'ready_for_review'])

/** Why a `pull_request` delivery asks for nothing, or `undefined` when it asks for a check or records a merge. */
function whyPullIgnored(deps: IngestDeps, pull: PullRequestPayload): string | undefined {
	const repository = pull.repository.full_name
	if (repository.toLowerCase() !== deps.repositoryName?.toLowerCase()) {
		return `pull request in ${repository}, not the tracked repository ${deps.repositoryName ?? '(GITHUB_REPOSITORY is not set)'}`
	}
	if (pull.pull_request.base.ref !== deps.source.branch) {
		return `pull request #${pull.number} targets ${pull.pull_request.base.ref}, not the tracked branch ${deps.source.branch}`
	}
	if (CHECKED_ACTIONS.has(pull.action)) {
		return undefined
	}
	if (pull.action === 'closed') {
		return pull.pull_request.merged && pull.pull_request.merge_commit_sha
			? undefined
			: `pull request #${pull.number} was closed without merging`
	}
	return `pull_request action "${pull.action}" is not one tidegate acts on`
}

function tracksBranch(deps: IngestDeps, push: PushPayload): boolean {
	return (
		push.repository.full_name.toLowerCase() === deps.repositoryName?.toLowerCase() &&
		push.ref === `refs/heads/${deps.source.branch}` &&
		!push.deleted
	)
}

/**
 * What every push to the tracked branch queues besides a reconcile, whatever it touched: the
 * pre-flight check (the consumer reads tidegate.yaml to see if `ownership` asks for it) and, when a
 * Receiver is set, the notice that makes Flux pull now.
 */
async function pushCompanions(
	deps: IngestDeps,
	deliveryId: string,
	push: PushPayload,
): Promise<JobMessage[]> {
	const preflight = preflightMessage(deliveryId, push)
	if (!deps.fluxReceiver) {
		return [preflight]
	}
	const notice = {
		deliveryId,
		repository: push.repository.full_name,
		ref: push.ref,
		commitSha: push.after,
	}
	await deps.receiverNotifications.queued(notice, deps.now())
	return [jobMessage('flux.receiver', notice), preflight]
}

/** Why a delivery asks for no reconcile, or `undefined` when it does. */
function whyIgnored(deps: IngestDeps, delivery: VerifiedDelivery): string | undefined {
	if (delivery.event.name === 'ping') {
		return 'ping'
	}
	const pull = pullOf(delivery)
	if (pull) {
		return whyPullIgnored(deps, pull)
	}
	const push = pushOf(delivery)
	if (!push) {
		return `event "${delivery.event.name}" is not one tidegate acts on`
	}
	if (push.repository.full_name.toLowerCase() !== deps.repositoryName?.toLowerCase()) {
		return `push to ${push.repository.full_name}, not the tracked repository ${deps.repositoryName ?? '(GITHUB_REPOSITORY is not set)'}`
	}
	if (push.ref !== `refs/heads/${deps.source.branch}`) {
		return `push to ${push.ref}, not the tracked branch refs/heads/${deps.source.branch}`
	}
	if (push.deleted) {
		return 'the tracked branch was deleted; the desired state is left as it was (a deletion is not an empty desired state)'
	}
	// GitHub may send no commit list for very large pushes; then the file may have changed, so reconcile.
	if (push.commits.length > 0 && !touches(push, deps.source.path)) {
		return `${deps.source.path} was not changed by this push`
	}
	return undefined
}

function touches(push: PushPayload, path: string): boolean {
	return push.commits.some((c) => [...c.added, ...c.modified, ...c.removed].includes(path))
}
