/**
 * @module GitHub delivery intake, after the signature was verified: dedupe on X-GitHub-Delivery,
 * record, and queue a reconcile for pushes to the tracked branch. A push is a hint; the reconcile
 * reads the branch head itself, so late or repeated pushes cannot roll anything back.
 */
import type { GitHubDelivery } from '../domain/ports.ts'
import type { PushPayload } from '../webhooks/github.ts'
import type { Deps } from './deps.ts'
import { enqueueReconcile } from './enqueue-reconcile.ts'
import { queuePreflight } from './preflight-job.ts'

/** A verified delivery, its payload parsed for the events tidegate acts on. */
export interface VerifiedDelivery {
	deliveryId: string
	hookId: string | null
	event:
		| { name: 'ping' }
		| { name: 'push'; payload: PushPayload }
		| { name: string; payload?: undefined }
}

/** What became of a delivery. */
export type IngestOutcome =
	| { kind: 'duplicate'; delivery: GitHubDelivery }
	| { kind: 'ping' }
	| { kind: 'ignored'; reason: string }
	| { kind: 'queued'; runId: number }

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
>

/** Records a verified delivery once and queues what it asks for. */
export async function ingestGitHubDelivery(
	deps: IngestDeps,
	delivery: VerifiedDelivery,
): Promise<IngestOutcome> {
	const push = delivery.event.name === 'push' ? delivery.event.payload : undefined
	const record: GitHubDelivery = {
		deliveryId: delivery.deliveryId,
		event: delivery.event.name,
		status: 'received',
		reason: null,
		ref: push?.ref ?? null,
		afterSha: push?.after ?? null,
		runId: null,
		hookId: delivery.hookId,
		receivedAt: deps.now(),
	}
	// One atomic claim decides: a new delivery, or one left `received` by a handler that answered 5xx
	// or died, is processed; anything already handled, or being handled by a racing copy, is a duplicate.
	const claim = await deps.deliveries.claim(record, deps.now() - CLAIM_TIMEOUT_MS)
	if (!claim.claimed) {
		return { kind: 'duplicate', delivery: claim.existing ?? record }
	}
	try {
		return await processClaimed(deps, delivery, record, push)
	} catch (e) {
		// Answered 5xx: GitHub's redelivery of this id must be processed, not taken for a duplicate.
		await deps.deliveries
			.release(delivery.deliveryId, `not queued: ${e instanceof Error ? e.message : String(e)}`)
			.catch(() => undefined)
		throw e
	}
}

/** A claim older than this belongs to a handler that died; the delivery may be claimed again. */
const CLAIM_TIMEOUT_MS = 60_000

async function processClaimed(
	deps: IngestDeps,
	delivery: VerifiedDelivery,
	record: GitHubDelivery,
	push: PushPayload | undefined,
): Promise<IngestOutcome> {
	if (delivery.event.name === 'ping') {
		await deps.deliveries.save({ ...record, status: 'ping' })
		return { kind: 'ping' }
	}
	if (push && tracksBranch(deps, push)) {
		await forwardToFlux(deps, delivery.deliveryId, push)
		// Every push may change Flux manifests; the consumer reads tidegate.yaml to see if `ownership` asks for the check.
		await queuePreflight(deps, delivery.deliveryId, push)
	}
	const ignored = push
		? whyIgnored(deps, push)
		: `event "${delivery.event.name}" is not one tidegate acts on`
	if (ignored) {
		await deps.deliveries.save({ ...record, status: 'ignored', reason: ignored })
		return { kind: 'ignored', reason: ignored }
	}
	const run = await enqueueReconcile(deps, { trigger: 'push', deliveryId: delivery.deliveryId })
	await deps.deliveries.save({ ...record, status: 'queued', runId: run.id })
	return { kind: 'queued', runId: run.id }
}

function tracksBranch(deps: IngestDeps, push: PushPayload): boolean {
	return (
		push.repository.full_name.toLowerCase() === deps.repositoryName?.toLowerCase() &&
		push.ref === `refs/heads/${deps.source.branch}` &&
		!push.deleted
	)
}

/** Any push to the tracked branch (whatever it touched) makes Flux pull now, when a Receiver is set. */
async function forwardToFlux(
	deps: IngestDeps,
	deliveryId: string,
	push: PushPayload,
): Promise<void> {
	if (!deps.fluxReceiver) {
		return
	}
	const notice = {
		deliveryId,
		repository: push.repository.full_name,
		ref: push.ref,
		commitSha: push.after,
	}
	await deps.receiverNotifications.queued(notice, deps.now())
	await deps.jobs.send({ v: 1, kind: 'flux.receiver', ...notice })
}

function whyIgnored(deps: IngestDeps, push: PushPayload): string | undefined {
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
