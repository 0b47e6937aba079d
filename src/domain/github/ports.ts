/**
 * @module Ports of the GitOps repository: GitHub's REST API (commits, files, statuses, pull requests
 * and their comments), verified deliveries, files and validated desired states by commit, pull-request checks and deploy statuses.
 */
import type { Result } from '../../lib/result.ts'
import type { LoadedDesiredState } from '../desired-state/load.ts'
import type { NewRun, Run } from '../edge/runs.ts'
import type { ApiFailure } from '../ports.ts'
import type { PreflightFinding } from '../preflight/check.ts'

/** The GitOps repository (GitHub REST). */
export interface RepositoryApi {
	/** The commit the branch points at now. */
	branchHead(branch: string): Promise<Result<string, ApiFailure>>
	/** A file's text at a commit; `null` when the file does not exist there. */
	readFile(path: string, commitSha: string): Promise<Result<string | null, ApiFailure>>
	/** Posts a commit status (`context` e.g. `tidegate/edge-sync`). */
	postStatus(commitSha: string, status: CommitStatus): Promise<Result<void, ApiFailure>>
	/** The webhook's most recent delivery attempts, newest first (one page). */
	listHookDeliveries(hookId: string, perPage: number): Promise<Result<HookDelivery[], ApiFailure>>
	/** Asks GitHub to deliver an attempt again (same X-GitHub-Delivery guid). */
	redeliver(hookId: string, attemptId: number): Promise<Result<void, ApiFailure>>
	/**
	 * Files changed from `base` to `head` (GitHub's compare, three dots: from their merge base);
	 * `base` null lists what `head` changed against its first parent (a branch's first push).
	 */
	changedFiles(base: string | null, head: string): Promise<Result<ChangedFiles, ApiFailure>>
	/** A file's text at a commit, never read past `maxBytes`; `null` when the file does not exist there. */
	readFileBounded(
		path: string,
		commitSha: string,
		maxBytes: number,
	): Promise<Result<BoundedFile | null, ApiFailure>>
}

/** One file a comparison lists (GitHub's diff-entry statuses). */
export interface ChangedFile {
	path: string
	status: 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed' | 'unchanged'
}

/** The files changed between two commits, as GitHub lists them. */
export interface ChangedFiles {
	files: ChangedFile[]
	/** GitHub lists at most 300 files; at that count the list may have been cut short. */
	truncated: boolean
}

/** A file read with a size bound: its text, or only its size (when known) when it is larger. */
export type BoundedFile = { text: string; bytes: number } | { tooLarge: true; bytes: number | null }

/** One delivery attempt as GitHub lists it. */
export interface HookDelivery {
	/** The attempt's id (what redelivery is asked for). */
	id: number
	/** The X-GitHub-Delivery guid, shared by an original and its redeliveries. */
	guid: string
	deliveredAt: number
	redelivery: boolean
	statusCode: number
	event: string
}

/** A GitHub commit status. */
export interface CommitStatus {
	state: 'pending' | 'success' | 'failure' | 'error'
	context: string
	description: string
	targetUrl?: string
}

/** Files by commit SHA (KV): content-addressed, so entries never go stale. */
export interface FileCache {
	get(commitSha: string, path: string): Promise<string | null>
	put(commitSha: string, path: string, text: string): Promise<void>
}

/**
 * Validated desired states by commit SHA and path (KV): content-addressed like FileCache, so a
 * drift run on an unchanged head neither fetches nor parses tidegate.yaml.
 */
export interface DesiredStateCache {
	get(commitSha: string, path: string): Promise<LoadedDesiredState | null>
	put(commitSha: string, path: string, loaded: LoadedDesiredState): Promise<void>
}

/** A verified GitHub delivery as recorded. */
export interface GitHubDelivery {
	deliveryId: string
	event: string
	status: 'received' | 'queued' | 'ignored' | 'ping'
	reason: string | null
	ref: string | null
	afterSha: string | null
	runId: number | null
	hookId: string | null
	/** SHA-256 (hex) of the raw body: the same body under another delivery id is a replay. */
	bodyHash: string | null
	receivedAt: number
}

/** Verified GitHub deliveries (D1), keyed by `X-GitHub-Delivery`. */
export interface DeliveryStore {
	find(deliveryId: string): Promise<GitHubDelivery | undefined>
	/** Inserts or replaces the record of a delivery. */
	save(delivery: GitHubDelivery): Promise<void>
	/**
	 * Atomically claims a delivery for processing: records it as `received` and in progress unless
	 * a record exists. A `received` record is claimed again only when its handler gave up
	 * (`release`) or its claim is older than `staleBefore` (the handler died). Racing copies of one
	 * delivery thus get one claim between them. A delivery whose body another delivery id already
	 * carried is never claimed: `existing` is that other delivery (a replay). With `run`, the run
	 * row is created in the same transaction when, and only when, the claim succeeds.
	 */
	claim(
		delivery: GitHubDelivery,
		staleBefore: number,
		run?: NewRun,
	): Promise<
		| { claimed: true; run: Run | undefined }
		| { claimed: false; existing: GitHubDelivery | undefined }
	>
	/** Gives a claimed, still `received` delivery up (the handler failed), saying why. */
	release(deliveryId: string, reason: string): Promise<void>
	/** The hook id of the newest delivery that carried one. */
	latestHookId(): Promise<string | undefined>
	/** Which of these guids were already handled (queued, ignored or ping). */
	handled(guids: string[]): Promise<Set<string>>
	/** Which of these guids tidegate already asked GitHub to redeliver. */
	redeliveryRequested(guids: string[]): Promise<Set<string>>
	recordRedelivery(request: {
		guid: string
		attemptId: number
		event: string
		failedStatusCode: number
		requestedAt: number
		outcome: string
	}): Promise<void>
}

/**
 * The fine-grained token permissions each GitHub call needs, named as GitHub's token settings name
 * them: refusals quote them, and the token alert recovers only once the refused one works again.
 */
export const GITHUB_PERMISSIONS = {
	contents: 'Contents: read',
	statuses: 'Commit statuses: read and write',
	pullRequests: 'Pull requests: read and write',
	webhooks: 'Webhooks: read and write',
} as const

/** A pull request as tidegate reads it. */
export interface PullRequestInfo {
	number: number
	state: 'open' | 'closed'
	draft: boolean
	headSha: string
	/** `owner/name` of the repository the head branch lives in; null when that fork was deleted. */
	headRepository: string | null
	baseRef: string
	/** How many files the pull request changes (GitHub lists at most 3000 of them). */
	changedFiles: number
}

/** An issue comment (pull requests are issues) as tidegate reads it. */
export interface IssueComment {
	id: number
	body: string
}

/** Pull requests of the GitOps repository and their conversation (GitHub REST). */
export interface PullRequestApi {
	get(number: number): Promise<Result<PullRequestInfo, ApiFailure>>
	/** The files the pull request changes, at most `maxFiles` (GitHub pages them 100 at a time). */
	files(number: number, maxFiles: number): Promise<Result<ChangedFiles, ApiFailure>>
	/** The pull request's comments, oldest first, at most `maxComments`. */
	comments(number: number, maxComments: number): Promise<Result<IssueComment[], ApiFailure>>
	createComment(number: number, body: string): Promise<Result<IssueComment, ApiFailure>>
	/** Edits a comment in place; `not_found` when it was deleted. */
	updateComment(id: number, body: string): Promise<Result<void, ApiFailure>>
}

/** A verdict as posted in a commit status. */
export interface CheckVerdict {
	state: 'success' | 'failure' | 'error'
	/** The status description (GitHub shows 140 characters). */
	summary: string
}

/** The checks of one pull request head, as recorded (D1 `pull_request_checks`). */
export interface PullRequestCheck {
	number: number
	headSha: string
	/** `owner/name` of the head's repository (a fork's, for a fork). */
	headRepository: string | null
	baseRef: string
	deliveryId: string
	edge: CheckVerdict
	/** The rendered edge plan, when one was made. */
	planText: string | null
	/** What the plan would change, canonical, to tell whether the merge applied the same thing. */
	planFingerprint: string | null
	warnings: string[]
	preflight: CheckVerdict
	findings: PreflightFinding[]
	/** Why the pre-flight check did not cover every changed manifest, when it did not. */
	preflightCutOff: string | null
	/** The pull request's tidegate comment, once posted. */
	commentId: number | null
	checkedAt: number
}

/** A recorded merge: which pull request head became which commit on the tracked branch. */
export interface PullRequestMerge {
	number: number
	headSha: string
	mergeCommitSha: string
	mergedAt: number
}

/** Pull-request checks (D1): one row per pull request head, plus merges. */
export interface PullRequestCheckStore {
	/** Inserts or replaces the check of its head; prunes checks older than the retention. */
	record(check: PullRequestCheck): Promise<void>
	find(number: number, headSha: string): Promise<PullRequestCheck | undefined>
	/** The comment id tidegate last used on the pull request, whatever the head. */
	commentId(number: number): Promise<number | null>
	setCommentId(number: number, headSha: string, commentId: number): Promise<void>
	recordMerge(merge: PullRequestMerge): Promise<void>
	/** The check of the head a merge commit came from, if the merge was recorded and the head checked. */
	forMergeCommit(mergeCommitSha: string): Promise<PullRequestCheck | undefined>
}

/** A commit status's state and text: what makes two posts the same. */
export type PostedStatus = Pick<CommitStatus, 'state' | 'description'>

/** What tidegate last posted as `tidegate/deploy` on each commit, so a status is posted once per change. */
export interface DeployStatusStore {
	get(commitSha: string): Promise<PostedStatus | undefined>
	/** Records a posted status; prunes records older than the retention. */
	record(commitSha: string, status: PostedStatus, at: number): Promise<void>
}
