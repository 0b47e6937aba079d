/**
 * @module A fake of the GitHub REST endpoints tidegate calls, plus a webhook sender, as a pure
 * Web-API fetch handler (no `node:` imports): served on loopback by `server.ts`, or called in-process
 * (MSW in workerd) through `standin.fetch`. Test controls live beside it: `push` makes a commit and
 * delivers a signed `push` webhook, and the control API under `/__standin/` exposes the same to other
 * processes. See README.md beside this file.
 */
import type { Hono } from 'hono'
import { createControlApp } from './control.ts'
import { type DeliveryMode, encodeBody, sendDelivery, type WebhookTarget } from './delivery.ts'
import { createFaultList, type Fault, type FaultSpec, globToRegExp } from './faults.ts'
import { createCommit, type FileContent, type FileEdits, type GitCommit, sha1Hex } from './git.ts'
import { DOCS, githubError, REASONS } from './http.ts'
import { type Links, pingPayload, pushPayload, type StandinUser, ZERO_SHA } from './payloads.ts'
import {
	changedFiles,
	forkOf,
	type PullRequestAction,
	pullRequestPayload,
	repositoryFacts,
} from './pulls.ts'
import { createRestApp } from './rest.ts'
import {
	type CommentRecord,
	type GitHubDelivery,
	isAncestor,
	type PullRecord,
	type RepoState,
	resolveRef,
	type StandinState,
	type StatusRecord,
} from './state.ts'

export type { DeliveryMode } from './delivery.ts'
export type { Fault, FaultSpec } from './faults.ts'
export type { FileContent, FileEdits } from './git.ts'
export { signGitHubPayload } from './signature.ts'
export type { CommentRecord, GitHubDelivery, PullRecord, StatusRecord } from './state.ts'

/** A repository the stand-in hosts. */
export interface GitHubStandinRepository {
	/** `owner/name`. */
	fullName: string
	/** Default `main`. */
	defaultBranch?: string
	/** Files of the initial commit on the default branch (default: none, an empty tree). */
	files?: Record<string, FileContent>
	/** Repository id (default 700000001, 700000002, …). */
	id?: number
	/** Id of the repository's webhook (default `options.hookId` + index). */
	hookId?: number
	private?: boolean
}

/** Where webhooks go; everything may also be changed later with `configureWebhook`. */
export interface GitHubStandinWebhook {
	/** Target URL; without it pushes deliver nothing (as if no hook were set up). */
	url?: string
	/** HMAC secret; without it no signature headers are sent (as GitHub does). */
	secret?: string
	/** `json` (default) or `form` (`payload=<urlencoded JSON>`). */
	contentType?: 'json' | 'form'
	/** How to send (default `globalThis.fetch`); in workerd tests, the Worker's own fetch. */
	fetch?: (request: Request) => Promise<Response>
	/** GitHub gives up after 10 s (default 10000). */
	timeoutMs?: number
	/**
	 * `POST …/deliveries/{id}/attempts` and `…/pings` answer once the re-send is done (`await`,
	 * default: deterministic for tests) or at once, sending in the background (`background`, like
	 * GitHub; use `settled()` to wait).
	 */
	redelivery?: 'await' | 'background'
}

/** Options of `createGitHubStandin`. */
export interface GitHubStandinOptions {
	/** `owner/name` strings or full descriptions; default one repository, `oceanid/gitops`. */
	repositories?: (string | GitHubStandinRepository)[]
	/** Accepted API token(s) (`Authorization: Bearer <t>` or `token <t>`); default `test-github-token`. */
	token?: string | string[]
	/** Webhook id of the first repository (default 1); later repositories count up from it. */
	hookId?: number
	webhook?: GitHubStandinWebhook
	/** The account behind the token; pusher and sender of webhooks. */
	user?: Partial<StandinUser>
	/** Primary rate limit per token and hour (default 5000). */
	rateLimit?: number
	/** Clock in Unix milliseconds (default `Date.now`). */
	now?: () => number
	/** API base URL written into webhook payloads (default `https://api.github.com`). */
	publicUrl?: string
	/** Web base URL written into links (default `https://github.com`). */
	htmlUrl?: string
}

/** Author of a pushed commit. */
export interface PushAuthor {
	name: string
	email: string
	/** GitHub login, shown as `commits[].author.username` in the payload. */
	username?: string
}

/** One commit of a push. */
export interface PushCommit {
	/** Path → new content, or `null` to delete the file. */
	files: FileEdits
	message?: string
	author?: PushAuthor
}

/** What `push` does. */
export interface PushInput {
	/** `owner/name`; default the first repository. */
	repo?: string
	/** Default the repository's default branch; an unknown branch is created. */
	branch?: string
	/** The files of a single-commit push (or use `commits`). */
	files?: FileEdits
	message?: string
	author?: PushAuthor
	/** Several commits in one push, oldest first. */
	commits?: PushCommit[]
	/** Build on this ref or SHA instead of the branch head; a non-descendant makes a force push. */
	from?: string
	/**
	 * `send` (default) delivers the `push` webhook; `fail` records a failed delivery without sending
	 * (a missed delivery, redeliverable later); `skip` sends and records nothing.
	 */
	delivery?: DeliveryMode | 'skip'
}

/** The outcome of a delivery attempt, as `push`, `ping`, `redeliver` and `sendEvent` report it. */
export interface DeliveryResult {
	/** Id in the deliveries API, or null when nothing was delivered or recorded. */
	deliveryId: number | null
	/** `X-GitHub-Delivery`, or null. */
	guid: string | null
	/** The target's status (0 when unreachable), or null when nothing was sent. */
	statusCode: number | null
	/** True when the target answered 2xx. */
	delivered: boolean
}

/** What `push` did. */
export interface PushResult extends DeliveryResult {
	repo: string
	ref: string
	before: string
	/** The new head (the last commit). */
	sha: string
	/** Every new commit, oldest first. */
	commits: string[]
	created: boolean
	forced: boolean
}

/** One request the stand-in answered on a REST path. */
export interface RecordedRequest {
	id: number
	/** Unix milliseconds. */
	at: number
	method: string
	path: string
	/** The query string, with its leading `?` (or empty). */
	search: string
	/** Lowercase names. */
	headers: Record<string, string>
	body: string | null
	status: number
	/** Id of the fault that answered (or delayed) it. */
	faultId: number | null
}

/** Filters for `requests()` (and `GET /__standin/requests`). */
export interface RequestFilter {
	method?: string
	/** Glob over the path: `*` within a segment, `**` across. */
	path?: string
}

/** A commit status as the tests see it. */
export type StatusView = Omit<StatusRecord, 'id'>

/** What `snapshot()` reports. */
export interface StandinSnapshot {
	publicUrl: string
	repositories: {
		fullName: string
		id: number
		hookId: number
		defaultBranch: string
		branches: Record<string, string>
	}[]
	webhook: { url: string | null; contentType: 'json' | 'form'; secret: boolean }
	deliveries: number
	faults: number
	requests: number
}

/** What `openPullRequest` does. */
export interface OpenPullRequestInput {
	/** `owner/name` of the base repository; default the first repository. */
	repo?: string
	/** The head branch; created from the base branch when unknown. */
	head: string
	/** The base branch; default the repository's default branch. */
	base?: string
	title?: string
	body?: string
	draft?: boolean
	/** `owner/name` of a fork the head branch lives in (its commits are reachable from the base, as on GitHub). */
	fork?: string
	/** A commit with these files on the head branch before opening. */
	files?: FileEdits
	message?: string
	/** How the `pull_request` event (and the head branch's `push`) are delivered; default `send`. */
	delivery?: DeliveryMode | 'skip'
}

/** What a pull-request control did: the pull request, its head, and the `pull_request` delivery. */
export interface PullRequestResult extends DeliveryResult {
	number: number
	/** The head commit after the change. */
	sha: string
	/** The head commit before it (the base branch's head when opened). */
	before: string
	/** The merge commit, once merged. */
	mergeCommitSha: string | null
}

/** A pull request as the tests see it. */
export type PullRequestView = Omit<PullRecord, 'headRepo'> & { headRepo: string }

/** An issue comment as the tests see it. */
export type CommentView = CommentRecord

/** The stand-in: a fetch handler and its test controls. */
export interface GitHubStandin {
	/** Answers one request: REST paths, or the control API under `/__standin/`. */
	fetch(request: Request): Promise<Response>
	/** Resolves once the initial repositories are built (every other method waits for it too). */
	readonly ready: Promise<void>
	/** Commits to a branch, moves it and delivers a `push` webhook (see `PushInput.delivery`). */
	push(input: PushInput): Promise<PushResult>
	/** Deletes a branch and delivers a `push` with `deleted: true`. */
	deleteBranch(input: {
		repo?: string
		branch: string
		delivery?: DeliveryMode | 'skip'
	}): Promise<DeliveryResult & { before: string }>
	/** Delivers a `ping` for a repository's hook. */
	ping(input?: { repo?: string }): Promise<DeliveryResult>
	/** Delivers any event with any payload, signed like the rest (for "unknown event" tests). */
	sendEvent(input: { repo?: string; event: string; payload: unknown }): Promise<DeliveryResult>
	/** Re-sends a recorded delivery: same guid and bytes, a new record with `redelivery: true`. */
	redeliver(deliveryId: number): Promise<DeliveryResult>
	/** Opens a pull request (after committing `files` to its head) and delivers `pull_request` `opened`. */
	openPullRequest(input: OpenPullRequestInput): Promise<PullRequestResult>
	/** Commits to a pull request's head and delivers `push` (same-repository heads) and `synchronize`. */
	pushToPullRequest(input: {
		repo?: string
		number: number
		files: FileEdits
		message?: string
		delivery?: DeliveryMode | 'skip'
	}): Promise<PullRequestResult>
	/** Squash-merges a pull request onto its base (delivering that `push`) and delivers `closed`. */
	mergePullRequest(input: {
		repo?: string
		number: number
		delivery?: DeliveryMode | 'skip'
	}): Promise<PullRequestResult>
	/** Delivers another `pull_request` action (`reopened`, `ready_for_review`, `closed` without merging). */
	pullRequestEvent(input: {
		repo?: string
		number: number
		action: 'closed' | 'reopened' | 'ready_for_review'
	}): Promise<PullRequestResult>
	/** A pull request, or undefined. */
	pullRequest(input: { repo?: string; number: number }): Promise<PullRequestView | undefined>
	/** Comments on an issue or pull request, oldest first. */
	comments(input: { repo?: string; number: number }): Promise<CommentView[]>
	/** Recorded deliveries, newest first. */
	deliveries(filter?: { repo?: string }): Promise<GitHubDelivery[]>
	/** The SHA a branch points at (default branch when omitted). */
	head(input?: { repo?: string; branch?: string }): Promise<string | undefined>
	/** A file's text at a ref (default branch when omitted), or undefined. */
	readFile(input: { repo?: string; path: string; ref?: string }): Promise<string | undefined>
	/** Commit statuses posted for a ref, newest first. */
	statuses(input: { repo?: string; ref: string }): Promise<StatusView[]>
	/** Repositories, branch heads and webhook settings (what `GET /__standin/state` answers). */
	snapshot(): Promise<StandinSnapshot>
	/** Changes where and how webhooks go; `null` unsets `url` or `secret`. */
	configureWebhook(change: {
		url?: string | null
		secret?: string | null
		contentType?: 'json' | 'form'
		fetch?: (request: Request) => Promise<Response>
	}): void
	/** Sets the API base URL written into webhook payloads (the server does this once listening). */
	setPublicUrl(url: string): void
	/** Makes matching requests fail; returns the registered fault. */
	addFault(spec: FaultSpec): Fault
	/** Registered faults with their counters. */
	faults(): Fault[]
	/** Removes one fault, or all. */
	clearFaults(id?: number): void
	/** Requests answered on REST paths, oldest first. */
	requests(filter?: RequestFilter): RecordedRequest[]
	/** Forgets recorded requests. */
	clearRequests(): void
	/** Waits for deliveries running in the background. */
	settled(): Promise<void>
	/** Back to the initial repositories; forgets statuses, deliveries, faults, requests, rate limits. */
	reset(): Promise<void>
}

const DEFAULT_TOKEN = 'test-github-token'
const DEFAULT_REPOSITORY = 'oceanid/gitops'
const RATE_WINDOW_S = 3600
const ANONYMOUS_LIMIT = 60

interface Bucket {
	limit: number
	used: number
	/** Unix seconds. */
	reset: number
}

function delay(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Creates a GitHub API stand-in (see `GitHubStandinOptions`; all options are optional). */
export function createGitHubStandin(options: GitHubStandinOptions = {}): GitHubStandin {
	const now = options.now ?? (() => Date.now())
	const tokens = new Set(
		Array.isArray(options.token) ? options.token : [options.token ?? DEFAULT_TOKEN],
	)
	const user: StandinUser = {
		login: options.user?.login ?? 'tidegate-tester',
		id: options.user?.id ?? 1_000_001,
		name: options.user?.name ?? 'Tidegate Tester',
		email: options.user?.email ?? 'tester@tidegate.test',
	}
	const htmlUrl = (options.htmlUrl ?? 'https://github.com').replace(/\/+$/, '')
	let publicUrl = (options.publicUrl ?? 'https://api.github.com').replace(/\/+$/, '')
	const rateLimit = options.rateLimit ?? 5000
	const repoSpecs: GitHubStandinRepository[] = (options.repositories ?? [DEFAULT_REPOSITORY]).map(
		(spec) => (typeof spec === 'string' ? { fullName: spec } : spec),
	)
	if (repoSpecs.length === 0) {
		throw new Error('github standin: at least one repository is needed')
	}
	for (const spec of repoSpecs) {
		if (!/^[^/\s]+\/[^/\s]+$/.test(spec.fullName)) {
			throw new Error(`github standin: repository must be "owner/name": ${spec.fullName}`)
		}
	}
	const initialWebhook = (): WebhookTarget => ({
		url: options.webhook?.url,
		secret: options.webhook?.secret,
		contentType: options.webhook?.contentType ?? 'json',
		fetch: options.webhook?.fetch ?? ((request) => fetch(request)),
		timeoutMs: options.webhook?.timeoutMs ?? 10_000,
	})
	const redeliveryMode = options.webhook?.redelivery ?? 'await'

	// Initial commits are dated at creation, and again at that instant on reset: same SHAs after reset.
	const createdAt = now()
	let webhook = initialWebhook()
	let state: StandinState = {
		repos: new Map(),
		deliveries: [],
		nextStatusId: 1,
		nextDeliveryId: 1,
		nextCommentId: 1,
	}
	let hookCreatedAt = now()
	// Kept across reset, as GitHub never reuses an id: a pull request opened after a reset is another
	// object, so its webhook body differs from an earlier one's even when the commits are the same
	// (tidegate takes a byte-identical body under a new delivery id for a replay).
	let nextPullId = 2_000_000_001
	const faultList = createFaultList()
	let recorded: RecordedRequest[] = []
	let nextRequestId = 1
	let buckets = new Map<string, Bucket>()
	const pending = new Set<Promise<unknown>>()
	let lock: Promise<unknown> = Promise.resolve()

	/** Runs state changes one at a time (commit creation awaits hashing). */
	function exclusive<T>(fn: () => Promise<T>): Promise<T> {
		const run = lock.then(fn, fn)
		lock = run.catch(() => undefined)
		return run
	}

	async function buildState(): Promise<StandinState> {
		const built: StandinState = {
			repos: new Map(),
			deliveries: [],
			nextStatusId: 1,
			nextDeliveryId: 12_000_000_001,
			nextCommentId: 3_000_000_001,
		}
		const ownerIds = new Map<string, number>()
		for (const [index, spec] of repoSpecs.entries()) {
			const [owner = '', name = ''] = spec.fullName.split('/')
			if (!ownerIds.has(owner.toLowerCase())) {
				ownerIds.set(owner.toLowerCase(), 9_000_001 + ownerIds.size)
			}
			const defaultBranch = spec.defaultBranch ?? 'main'
			const signature = { name: user.name, email: user.email, date: createdAt }
			const initial = await createCommit({
				parent: undefined,
				edits: spec.files ?? {},
				message: 'Initial commit',
				author: signature,
				committer: signature,
			})
			built.repos.set(spec.fullName.toLowerCase(), {
				id: spec.id ?? 700_000_001 + index,
				owner,
				ownerId: ownerIds.get(owner.toLowerCase()) ?? 9_000_001,
				name,
				fullName: `${owner}/${name}`,
				defaultBranch,
				private: spec.private ?? true,
				createdAt,
				pushedAt: createdAt,
				hookId: spec.hookId ?? (options.hookId ?? 1) + index,
				branches: new Map([[defaultBranch, initial.sha]]),
				commits: new Map([[initial.sha, initial]]),
				statuses: [],
				usernames: new Map([[initial.sha, user.login]]),
				pulls: new Map(),
				comments: [],
			})
		}
		return built
	}

	let ready: Promise<void> = buildState().then((built) => {
		state = built
	})
	// A bad initial file path rejects `ready` for every caller; do not also report it as unhandled.
	ready.catch(() => undefined)

	function repoNamed(name: string | undefined): RepoState {
		const repo =
			name === undefined ? state.repos.values().next().value : state.repos.get(name.toLowerCase())
		if (!repo) {
			throw new Error(`github standin: unknown repository ${name}`)
		}
		return repo
	}

	function links(): Links {
		return { api: publicUrl, html: htmlUrl }
	}

	function toResult(delivery: GitHubDelivery | undefined): DeliveryResult {
		return delivery
			? {
					deliveryId: delivery.id,
					guid: delivery.guid,
					statusCode: delivery.statusCode,
					delivered: delivery.ok,
				}
			: { deliveryId: null, guid: null, statusCode: null, delivered: false }
	}

	/** Delivers a new event; nothing at all when `skip`, or when `send` has no target URL. */
	async function deliverEvent(
		repo: RepoState,
		event: string,
		payload: unknown,
		mode: DeliveryMode | 'skip',
	): Promise<GitHubDelivery | undefined> {
		if (mode === 'skip' || (mode === 'send' && webhook.url === undefined)) {
			return undefined
		}
		const action =
			typeof payload === 'object' && payload !== null && 'action' in payload
				? String((payload as { action: unknown }).action)
				: null
		const delivery = await sendDelivery({
			target: webhook,
			id: state.nextDeliveryId++,
			guid: crypto.randomUUID(),
			hookId: repo.hookId,
			repo,
			event,
			action,
			body: encodeBody(payload, webhook.contentType),
			contentType: webhook.contentType,
			payload,
			redelivery: false,
			mode,
			now,
		})
		state.deliveries.push(delivery)
		return delivery
	}

	async function resend(repo: RepoState, original: GitHubDelivery): Promise<GitHubDelivery> {
		const delivery = await sendDelivery({
			target: webhook,
			id: state.nextDeliveryId++,
			guid: original.guid,
			hookId: repo.hookId,
			repo,
			event: original.event,
			action: original.action,
			body: original.body,
			contentType: original.contentType,
			payload: original.payload,
			redelivery: true,
			mode: 'send',
			now,
		})
		state.deliveries.push(delivery)
		return delivery
	}

	function track<T>(promise: Promise<T>): Promise<T> {
		pending.add(promise)
		void promise.finally(() => pending.delete(promise)).catch(() => undefined)
		return promise
	}

	function pingOf(repo: RepoState) {
		return pingPayload({
			repo,
			links: links(),
			hookId: repo.hookId,
			url: webhook.url ?? '',
			contentType: webhook.contentType,
			hasSecret: webhook.secret !== undefined && webhook.secret !== '',
			sender: user,
			createdAt: hookCreatedAt,
		})
	}

	function pullNamed(repo: RepoState, number: number): PullRecord {
		const pull = repo.pulls.get(number)
		if (!pull) {
			throw new Error(`github standin: no pull request ${number} in ${repo.fullName}`)
		}
		return pull
	}

	/** A commit on top of `parentSha` kept in the repository's objects without moving a branch (a fork's head). */
	async function commitInStore(
		repo: RepoState,
		parentSha: string,
		files: FileEdits,
		message: string,
	): Promise<string> {
		return exclusive(async () => {
			const signature = { name: user.name, email: user.email, date: now() }
			const commit = await createCommit({
				parent: repo.commits.get(parentSha),
				edits: files,
				message,
				author: signature,
				committer: signature,
			})
			repo.commits.set(commit.sha, commit)
			repo.usernames.set(commit.sha, user.login)
			return commit.sha
		})
	}

	async function pullResult(
		repo: RepoState,
		pull: PullRecord,
		action: PullRequestAction,
		before: string,
		mode: DeliveryMode | 'skip',
	): Promise<PullRequestResult> {
		const payload = pullRequestPayload({ action, repo, pull, links: links(), sender: user, before })
		const delivery = await deliverEvent(repo, 'pull_request', payload, mode)
		return {
			number: pull.number,
			sha: pull.headSha,
			before,
			mergeCommitSha: pull.mergeCommitSha,
			...toResult(delivery),
		}
	}

	const rest: Hono = createRestApp({
		state: () => state,
		user,
		htmlUrl,
		now,
		async redeliver(repo, delivery) {
			const run = track(resend(repo, delivery))
			if (redeliveryMode === 'await') {
				await run
			}
		},
		async ping(repo) {
			const run = track(deliverEvent(repo, 'ping', pingOf(repo), 'send'))
			if (redeliveryMode === 'await') {
				await run
			}
		},
	})

	function bucketFor(key: string, limit: number): Bucket {
		const nowS = Math.floor(now() / 1000)
		let bucket = buckets.get(key)
		if (!bucket || bucket.reset <= nowS) {
			bucket = { limit, used: 0, reset: nowS + RATE_WINDOW_S }
			buckets.set(key, bucket)
		}
		return bucket
	}

	function rateHeaders(headers: Headers, bucket: Bucket): void {
		headers.set('x-ratelimit-limit', String(bucket.limit))
		headers.set('x-ratelimit-remaining', String(Math.max(0, bucket.limit - bucket.used)))
		headers.set('x-ratelimit-reset', String(bucket.reset))
		headers.set('x-ratelimit-used', String(bucket.used))
		headers.set('x-ratelimit-resource', 'core')
	}

	function faultResponse(fault: Fault, bucket: Bucket, requestId: string): Response {
		switch (fault.kind) {
			case 'secondary-rate-limit': {
				const response = githubError(
					fault.status ?? 403,
					fault.message ??
						`You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${requestId}.`,
					DOCS.secondaryRateLimit,
				)
				rateHeaders(response.headers, bucket)
				response.headers.set('retry-after', String(fault.retryAfter ?? 60))
				return response
			}
			case 'primary-rate-limit': {
				const response = githubError(
					fault.status ?? 403,
					fault.message ??
						`API rate limit exceeded for user ID ${user.id}. If you reach out to GitHub Support for help, please include the request ID ${requestId}.`,
					DOCS.primaryRateLimit,
				)
				rateHeaders(response.headers, {
					limit: bucket.limit,
					used: bucket.limit,
					reset: Math.floor(now() / 1000) + (fault.resetAfter ?? 60),
				})
				return response
			}
			default: {
				const status = fault.status ?? 500
				const response = githubError(status, fault.message ?? REASONS[status] ?? 'Error')
				rateHeaders(response.headers, bucket)
				return response
			}
		}
	}

	async function etagged(request: Request, response: Response): Promise<Response> {
		if (request.method !== 'GET' || response.status !== 200) {
			return response
		}
		const body = new Uint8Array(await response.clone().arrayBuffer())
		const etag = `W/"${await sha1Hex(body)}"`
		response.headers.set('etag', etag)
		const match = request.headers.get('if-none-match')
		if (match?.split(',').some((tag) => tag.trim() === etag || tag.trim() === etag.slice(2))) {
			return new Response(null, { status: 304, headers: response.headers })
		}
		return response
	}

	/** The REST pipeline: record, faults, auth, primary rate limit, route, ETag, rate-limit headers. */
	async function handleRest(request: Request, url: URL): Promise<Response> {
		const entry: RecordedRequest = {
			id: nextRequestId++,
			at: now(),
			method: request.method,
			path: url.pathname,
			search: url.search,
			headers: Object.fromEntries(request.headers),
			body:
				request.method === 'GET' || request.method === 'HEAD' ? null : await request.clone().text(),
			status: 0,
			faultId: null,
		}
		recorded.push(entry)
		const requestId = `${crypto.randomUUID().slice(0, 8).toUpperCase()}:${entry.id.toString(16).toUpperCase()}`
		const header = request.headers.get('authorization')
		const token = /^(?:bearer|token)\s+(\S+)\s*$/i.exec(header ?? '')?.[1]
		const authorized = token !== undefined && tokens.has(token)
		const bucket = authorized
			? bucketFor(`token:${token}`, rateLimit)
			: bucketFor('anonymous', ANONYMOUS_LIMIT)

		let response: Response
		const fault = faultList.take(request.method, url.pathname)
		if (fault) {
			entry.faultId = fault.id
			if (fault.delayMs !== undefined && fault.delayMs > 0) {
				await delay(fault.delayMs)
			}
		}
		if (fault && fault.kind !== 'delay') {
			bucket.used++
			response = faultResponse(fault, bucket, requestId)
		} else if (!authorized) {
			response = githubError(401, header === null ? 'Requires authentication' : 'Bad credentials')
			bucket.used++
			rateHeaders(response.headers, bucket)
		} else if (bucket.used >= bucket.limit) {
			response = githubError(
				403,
				`API rate limit exceeded for user ID ${user.id}. If you reach out to GitHub Support for help, please include the request ID ${requestId}.`,
				DOCS.primaryRateLimit,
			)
			rateHeaders(response.headers, bucket)
		} else {
			const routed = await rest.fetch(request)
			response = await etagged(request, new Response(routed.body, routed))
			// Conditional requests answered 304 do not count against the primary rate limit.
			if (response.status !== 304) {
				bucket.used++
			}
			rateHeaders(response.headers, bucket)
		}
		response.headers.set('x-github-request-id', requestId)
		response.headers.set(
			'x-github-api-version-selected',
			request.headers.get('x-github-api-version') ?? '2022-11-28',
		)
		if (!response.headers.has('x-github-media-type')) {
			response.headers.set('x-github-media-type', 'github.v3; format=json')
		}
		response.headers.set('vary', 'Accept, Authorization, Cookie, X-GitHub-OTP')
		entry.status = response.status
		return response
	}

	const standin: GitHubStandin = {
		async fetch(request) {
			await ready
			const url = new URL(request.url)
			if (url.pathname === '/__standin' || url.pathname.startsWith('/__standin/')) {
				return control.fetch(request)
			}
			return handleRest(request, url)
		},
		get ready() {
			return ready
		},

		async push(input) {
			await ready
			const repo = repoNamed(input.repo)
			const branch = input.branch ?? repo.defaultBranch
			if (input.commits && (input.files || input.message || input.author)) {
				throw new Error('github standin: give either `commits` or `files`/`message`/`author`')
			}
			const specs: PushCommit[] = input.commits ?? [
				{
					files: input.files ?? {},
					...(input.message === undefined ? {} : { message: input.message }),
					...(input.author === undefined ? {} : { author: input.author }),
				},
			]
			if (specs.length === 0) {
				throw new Error('github standin: a push needs at least one commit')
			}
			const update = await exclusive(async () => {
				const head = repo.branches.get(branch)
				let parent: GitCommit | undefined
				if (input.from !== undefined) {
					parent = resolveRef(repo, input.from)
					if (!parent) {
						throw new Error(`github standin: unknown ref ${input.from}`)
					}
				} else {
					const baseSha = head ?? repo.branches.get(repo.defaultBranch)
					parent = baseSha ? repo.commits.get(baseSha) : undefined
				}
				const created: GitCommit[] = []
				for (const spec of specs) {
					const at = now()
					const author = spec.author ?? { name: user.name, email: user.email, username: user.login }
					const signature = { name: author.name, email: author.email, date: at }
					const paths = Object.keys(spec.files)
					const commit = await createCommit({
						parent,
						edits: spec.files,
						message:
							spec.message ?? (paths.length > 0 ? `Update ${paths.join(', ')}` : 'Empty commit'),
						author: signature,
						committer: signature,
					})
					repo.commits.set(commit.sha, commit)
					repo.usernames.set(commit.sha, author.username)
					created.push(commit)
					parent = commit
				}
				const after = created.at(-1)?.sha ?? ''
				const forced = head !== undefined && !isAncestor(repo, head, after)
				repo.branches.set(branch, after)
				repo.pushedAt = now()
				return { head, after, created, forced }
			})
			const payload = pushPayload({
				repo,
				links: links(),
				branch,
				before: update.head ?? ZERO_SHA,
				after: update.after,
				created: update.head === undefined,
				deleted: false,
				forced: update.forced,
				commits: update.created,
				pusher: user,
				authorUsernames: update.created.map((c) => repo.usernames.get(c.sha)),
			})
			const delivery = await deliverEvent(repo, 'push', payload, input.delivery ?? 'send')
			return {
				repo: repo.fullName,
				ref: `refs/heads/${branch}`,
				before: payload.before,
				sha: update.after,
				commits: update.created.map((c) => c.sha),
				created: payload.created,
				forced: payload.forced,
				...toResult(delivery),
			}
		},

		async deleteBranch(input) {
			await ready
			const repo = repoNamed(input.repo)
			if (input.branch === repo.defaultBranch) {
				throw new Error('github standin: the default branch cannot be deleted')
			}
			const head = repo.branches.get(input.branch)
			if (!head) {
				throw new Error(`github standin: no branch ${input.branch}`)
			}
			repo.branches.delete(input.branch)
			const payload = pushPayload({
				repo,
				links: links(),
				branch: input.branch,
				before: head,
				after: ZERO_SHA,
				created: false,
				deleted: true,
				forced: false,
				commits: [],
				pusher: user,
				authorUsernames: [],
			})
			const delivery = await deliverEvent(repo, 'push', payload, input.delivery ?? 'send')
			return { before: head, ...toResult(delivery) }
		},

		async ping(input = {}) {
			await ready
			const repo = repoNamed(input.repo)
			return toResult(await deliverEvent(repo, 'ping', pingOf(repo), 'send'))
		},

		async sendEvent(input) {
			await ready
			const repo = repoNamed(input.repo)
			return toResult(await deliverEvent(repo, input.event, input.payload, 'send'))
		},

		async openPullRequest(input) {
			await ready
			const repo = repoNamed(input.repo)
			const base = input.base ?? repo.defaultBranch
			const baseSha = repo.branches.get(base)
			if (!baseSha) {
				throw new Error(`github standin: no branch ${base}`)
			}
			const mode = input.delivery ?? 'send'
			const message = input.message ?? `Update ${Object.keys(input.files ?? {}).join(', ')}`
			let headSha: string
			if (input.fork !== undefined) {
				headSha = await commitInStore(repo, baseSha, input.files ?? {}, message)
			} else if (input.files) {
				const known = repo.branches.has(input.head)
				const pushed = await standin.push({
					repo: repo.fullName,
					branch: input.head,
					files: input.files,
					message,
					delivery: mode,
					...(known ? {} : { from: baseSha }),
				})
				headSha = pushed.sha
			} else {
				const sha = repo.branches.get(input.head)
				if (!sha) {
					throw new Error(`github standin: no branch ${input.head} (give files to create it)`)
				}
				headSha = sha
			}
			const at = now()
			const number = repo.pulls.size + 1
			const pull: PullRecord = {
				id: nextPullId++,
				number,
				title: input.title ?? `Pull request ${number}`,
				body: input.body ?? null,
				user: user.login,
				headRef: input.head,
				headRepo:
					input.fork === undefined
						? { ...repositoryFacts(repo), fork: false }
						: forkOf(repo, input.fork, 800_000_001 + repo.pulls.size),
				headSha,
				baseRef: base,
				state: 'open',
				draft: input.draft ?? false,
				merged: false,
				mergeCommitSha: null,
				createdAt: at,
				updatedAt: at,
				closedAt: null,
				mergedAt: null,
			}
			repo.pulls.set(number, pull)
			return pullResult(repo, pull, 'opened', baseSha, mode)
		},

		async pushToPullRequest(input) {
			await ready
			const repo = repoNamed(input.repo)
			const pull = pullNamed(repo, input.number)
			const before = pull.headSha
			const mode = input.delivery ?? 'send'
			const message = input.message ?? `Update ${Object.keys(input.files).join(', ')}`
			if (pull.headRepo.fork) {
				pull.headSha = await commitInStore(repo, before, input.files, message)
			} else {
				const pushed = await standin.push({
					repo: repo.fullName,
					branch: pull.headRef,
					files: input.files,
					message,
					delivery: mode,
				})
				pull.headSha = pushed.sha
			}
			pull.updatedAt = now()
			return pullResult(repo, pull, 'synchronize', before, mode)
		},

		async mergePullRequest(input) {
			await ready
			const repo = repoNamed(input.repo)
			const pull = pullNamed(repo, input.number)
			if (pull.state !== 'open') {
				throw new Error(`github standin: pull request ${pull.number} is not open`)
			}
			const head = repo.commits.get(pull.headSha)
			const edits: Record<string, FileContent | null> = {}
			for (const change of changedFiles(repo, pull)) {
				edits[change.filename] =
					change.status === 'removed' ? null : (head?.files.get(change.filename)?.bytes ?? null)
			}
			const mode = input.delivery ?? 'send'
			const merged = await standin.push({
				repo: repo.fullName,
				branch: pull.baseRef,
				files: edits,
				message: `${pull.title} (#${pull.number})`,
				delivery: mode,
			})
			const at = now()
			Object.assign(pull, {
				state: 'closed',
				merged: true,
				mergeCommitSha: merged.sha,
				closedAt: at,
				mergedAt: at,
				updatedAt: at,
			})
			return pullResult(repo, pull, 'closed', pull.headSha, mode)
		},

		async pullRequestEvent(input) {
			await ready
			const repo = repoNamed(input.repo)
			const pull = pullNamed(repo, input.number)
			const at = now()
			pull.updatedAt = at
			if (input.action === 'closed') {
				Object.assign(pull, { state: 'closed', closedAt: at })
			} else if (input.action === 'reopened') {
				Object.assign(pull, { state: 'open', closedAt: null })
			} else {
				pull.draft = false
			}
			return pullResult(repo, pull, input.action, pull.headSha, 'send')
		},

		async pullRequest(input) {
			await ready
			const pull = repoNamed(input.repo).pulls.get(input.number)
			return pull ? { ...pull, headRepo: pull.headRepo.fullName } : undefined
		},

		async comments(input) {
			await ready
			return repoNamed(input.repo)
				.comments.filter((c) => c.issueNumber === input.number)
				.map((c) => ({ ...c }))
		},

		async redeliver(deliveryId) {
			await ready
			const original = state.deliveries.find((d) => d.id === deliveryId)
			if (!original) {
				throw new Error(`github standin: no delivery ${deliveryId}`)
			}
			const repo = repoNamed(original.repository)
			return toResult(await track(resend(repo, original)))
		},

		async deliveries(filter = {}) {
			await ready
			const repo = filter.repo === undefined ? undefined : repoNamed(filter.repo)
			return state.deliveries
				.filter((d) => !repo || d.hookId === repo.hookId)
				.sort((a, b) => b.id - a.id)
		},

		async head(input = {}) {
			await ready
			const repo = repoNamed(input.repo)
			return repo.branches.get(input.branch ?? repo.defaultBranch)
		},

		async readFile(input) {
			await ready
			const repo = repoNamed(input.repo)
			const blob = resolveRef(repo, input.ref ?? repo.defaultBranch)?.files.get(input.path)
			return blob ? new TextDecoder().decode(blob.bytes) : undefined
		},

		async statuses(input) {
			await ready
			const repo = repoNamed(input.repo)
			const commit = resolveRef(repo, input.ref)
			return repo.statuses
				.filter((s) => s.sha === commit?.sha)
				.sort((a, b) => b.id - a.id)
				.map(({ id: _id, ...view }) => view)
		},

		async snapshot() {
			await ready
			return {
				publicUrl,
				repositories: [...state.repos.values()].map((repo) => ({
					fullName: repo.fullName,
					id: repo.id,
					hookId: repo.hookId,
					defaultBranch: repo.defaultBranch,
					branches: Object.fromEntries(repo.branches),
				})),
				webhook: {
					url: webhook.url ?? null,
					contentType: webhook.contentType,
					secret: webhook.secret !== undefined && webhook.secret !== '',
				},
				deliveries: state.deliveries.length,
				faults: faultList.list().length,
				requests: recorded.length,
			}
		},

		configureWebhook(change) {
			if (change.url !== undefined) {
				webhook.url = change.url ?? undefined
			}
			if (change.secret !== undefined) {
				webhook.secret = change.secret ?? undefined
			}
			if (change.contentType !== undefined) {
				webhook.contentType = change.contentType
			}
			if (change.fetch !== undefined) {
				webhook.fetch = change.fetch
			}
		},

		setPublicUrl(url) {
			publicUrl = url.replace(/\/+$/, '')
		},

		addFault: (spec) => faultList.add(spec),
		faults: () => faultList.list(),
		clearFaults: (id) => faultList.clear(id),

		requests(filter = {}) {
			const pattern = filter.path === undefined ? undefined : globToRegExp(filter.path)
			return recorded.filter(
				(r) =>
					(filter.method === undefined || r.method === filter.method.toUpperCase()) &&
					(!pattern || pattern.test(r.path)),
			)
		},
		clearRequests() {
			recorded = []
		},

		async settled() {
			while (pending.size > 0) {
				await Promise.allSettled([...pending])
			}
		},

		async reset() {
			await standin.settled()
			ready = buildState().then((built) => {
				state = built
			})
			await ready
			webhook = initialWebhook()
			hookCreatedAt = now()
			faultList.clear()
			recorded = []
			buckets = new Map()
		},
	}

	const control = createControlApp(standin)
	return standin
}
