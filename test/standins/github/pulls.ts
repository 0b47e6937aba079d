/**
 * @module Pull requests and their issue comments in the GitHub stand-in: the REST endpoints tidegate
 * calls (`GET …/pulls/{n}`, `GET …/pulls/{n}/files`, issue comments list/create/get/update/delete)
 * and the `pull_request` webhook payload. Shapes are typed with `@octokit/openapi-types` and
 * `@octokit/webhooks-types`, so a drift from GitHub's published schema fails to compile.
 */
import type { components } from '@octokit/openapi-types'
import type {
	PullRequestClosedEvent,
	PullRequestEvent,
	PullRequestOpenedEvent,
	PullRequestReadyForReviewEvent,
	PullRequestReopenedEvent,
	PullRequestSynchronizeEvent,
	PullRequest as WebhookPullRequest,
} from '@octokit/webhooks-types'
import { type Context, Hono } from 'hono'
import { DOCS, githubError, json, validationFailed } from './http.ts'
import {
	isoSeconds,
	type Links,
	nodeId,
	type RepositoryFacts,
	repositoryObject,
	type StandinUser,
	userObject,
} from './payloads.ts'
import {
	diffEntry,
	findMergeBase,
	linksOf,
	pageParams,
	type RestContext,
	treeDiff,
} from './rest.ts'
import {
	type CommentRecord,
	findRepo,
	type HeadRepository,
	type PullRecord,
	type RepoState,
	resolveRef,
} from './state.ts'

type Schemas = components['schemas']

/** GitHub lists at most 3000 files of a pull request. */
const MAX_PULL_FILES = 3000
/** GitHub refuses comment bodies longer than this. */
export const MAX_COMMENT_CHARS = 65_536

/** Just the facts payloads need about a repository. */
export function repositoryFacts(repo: RepositoryFacts): RepositoryFacts {
	const { id, owner, ownerId, name, fullName, defaultBranch, createdAt, pushedAt } = repo
	return {
		id,
		owner,
		ownerId,
		name,
		fullName,
		defaultBranch,
		private: repo.private,
		createdAt,
		pushedAt,
	}
}

/** The head repository of a pull request from a fork of `repo`. */
export function forkOf(repo: RepoState, fullName: string, id: number): HeadRepository {
	const [owner = '', name = ''] = fullName.split('/')
	return {
		...repositoryFacts(repo),
		id,
		owner,
		ownerId: id + 1_000_000,
		name,
		fullName,
		fork: true,
	}
}

function repository(facts: HeadRepository | RepositoryFacts, links: Links) {
	return {
		...repositoryObject(facts, links, 'other'),
		fork: 'fork' in facts && facts.fork,
	}
}

/** A repository as the REST API answers it (pull request `head.repo`/`base.repo`). */
function restRepository(
	facts: HeadRepository | RepositoryFacts,
	links: Links,
): Schemas['repository'] {
	// Fields the webhook type words differently (ISO times here, enums) are set or left out.
	const {
		created_at: _created,
		pushed_at: _pushed,
		updated_at: _updated,
		license: _license,
		squash_merge_commit_title: _sqt,
		squash_merge_commit_message: _sqm,
		merge_commit_title: _mct,
		merge_commit_message: _mcm,
		...rest
	} = repository(facts, links)
	return {
		...rest,
		license: null,
		disabled: false,
		created_at: isoSeconds(facts.createdAt),
		updated_at: isoSeconds(facts.pushedAt),
		pushed_at: isoSeconds(facts.pushedAt),
	}
}

/** The fields a pull request has in both the REST answer and the webhook payload. */
function pullFields(repo: RepoState, pull: PullRecord, links: Links, baseSha: string) {
	const api = `${links.api}/repos/${repo.fullName}`
	const html = `${links.html}/${repo.fullName}`
	const issue = `${api}/issues/${pull.number}`
	const self = `${api}/pulls/${pull.number}`
	const author = userObject(pull.user, 1_000_001, links)
	const comments = repo.comments.filter((c) => c.issueNumber === pull.number).length
	const changed = changedFiles(repo, pull)
	return {
		url: self,
		id: pull.id,
		node_id: nodeId('PullRequest', pull.id),
		html_url: `${html}/pull/${pull.number}`,
		diff_url: `${html}/pull/${pull.number}.diff`,
		patch_url: `${html}/pull/${pull.number}.patch`,
		issue_url: issue,
		commits_url: `${self}/commits`,
		review_comments_url: `${self}/comments`,
		review_comment_url: `${api}/pulls/comments{/number}`,
		comments_url: `${issue}/comments`,
		statuses_url: `${api}/statuses/${pull.headSha}`,
		number: pull.number,
		state: pull.state,
		locked: false,
		title: pull.title,
		user: author,
		body: pull.body,
		labels: [],
		milestone: null,
		active_lock_reason: null,
		created_at: isoSeconds(pull.createdAt),
		updated_at: isoSeconds(pull.updatedAt),
		closed_at: pull.closedAt === null ? null : isoSeconds(pull.closedAt),
		merged_at: pull.mergedAt === null ? null : isoSeconds(pull.mergedAt),
		merge_commit_sha: pull.mergeCommitSha,
		assignee: null,
		assignees: [],
		requested_reviewers: [],
		requested_teams: [],
		_links: {
			self: { href: self },
			html: { href: `${html}/pull/${pull.number}` },
			issue: { href: issue },
			comments: { href: `${issue}/comments` },
			review_comments: { href: `${self}/comments` },
			review_comment: { href: `${api}/pulls/comments{/number}` },
			commits: { href: `${self}/commits` },
			statuses: { href: `${api}/statuses/${pull.headSha}` },
		},
		author_association: 'OWNER' as const,
		auto_merge: null,
		draft: pull.draft,
		merged: pull.merged,
		mergeable: pull.state === 'open' ? true : null,
		rebaseable: pull.state === 'open' ? true : null,
		mergeable_state: pull.state === 'open' ? 'clean' : 'unknown',
		merged_by: pull.merged ? author : null,
		comments,
		review_comments: 0,
		maintainer_can_modify: pull.headRepo.fork,
		commits: 1,
		additions: changed.reduce((n, c) => n + c.additions, 0),
		deletions: changed.reduce((n, c) => n + c.deletions, 0),
		changed_files: changed.length,
		head: {
			label: `${pull.headRepo.owner}:${pull.headRef}`,
			ref: pull.headRef,
			sha: pull.headSha,
			user: userObject(pull.headRepo.owner, pull.headRepo.ownerId, links),
		},
		base: {
			label: `${repo.owner}:${pull.baseRef}`,
			ref: pull.baseRef,
			sha: baseSha,
			user: userObject(repo.owner, repo.ownerId, links),
		},
	}
}

/** The base branch's head now (GitHub's `base.sha` moves with the branch while the PR is open). */
function baseShaOf(repo: RepoState, pull: PullRecord): string {
	return repo.branches.get(pull.baseRef) ?? pull.headSha
}

/** A pull request as `GET /repos/{o}/{r}/pulls/{n}` answers it. */
export function restPullRequest(
	repo: RepoState,
	pull: PullRecord,
	links: Links,
): Schemas['pull-request'] {
	const fields = pullFields(repo, pull, links, baseShaOf(repo, pull))
	return {
		...fields,
		head: { ...fields.head, repo: restRepository(pull.headRepo, links) },
		base: { ...fields.base, repo: restRepository(repo, links) },
	}
}

/** A pull request as the `pull_request` webhook carries it. */
export function webhookPullRequest(
	repo: RepoState,
	pull: PullRecord,
	links: Links,
): WebhookPullRequest {
	const fields = pullFields(repo, pull, links, baseShaOf(repo, pull))
	return {
		...fields,
		head: { ...fields.head, repo: repository(pull.headRepo, links) },
		base: { ...fields.base, repo: repository(repo, links) },
	}
}

/** The files a pull request changes: its head against the merge base with the base branch. */
export function changedFiles(repo: RepoState, pull: PullRecord) {
	const head = repo.commits.get(pull.headSha)
	const base = repo.branches.get(pull.baseRef)
	const mergeBase = head && base ? findMergeBase(repo, base, head.sha) : undefined
	return head && mergeBase ? treeDiff(mergeBase, head) : []
}

function commentObject(
	repo: RepoState,
	comment: CommentRecord,
	links: Links,
	user: StandinUser,
): Schemas['issue-comment'] {
	const api = `${links.api}/repos/${repo.fullName}`
	return {
		id: comment.id,
		node_id: nodeId('IssueComment', comment.id),
		url: `${api}/issues/comments/${comment.id}`,
		html_url: `${links.html}/${repo.fullName}/pull/${comment.issueNumber}#issuecomment-${comment.id}`,
		body: comment.body,
		user: userObject(comment.user, comment.user === user.login ? user.id : 1_000_002, links),
		created_at: isoSeconds(comment.createdAt),
		updated_at: isoSeconds(comment.updatedAt),
		issue_url: `${api}/issues/${comment.issueNumber}`,
		author_association: 'OWNER',
		performed_via_github_app: null,
	}
}

/** `Link: <…?per_page=N&page=P>; rel="next", <…>; rel="last"` when there is a next page. */
function pageLinks(url: string, perPage: number, page: number, total: number): Headers {
	const headers = new Headers()
	const last = Math.max(1, Math.ceil(total / perPage))
	if (page < last) {
		const href = (p: number) => `<${url}?per_page=${perPage}&page=${p}>`
		headers.set('link', `${href(page + 1)}; rel="next", ${href(last)}; rel="last"`)
	}
	return headers
}

/** Parses a JSON object body the way GitHub does: anything else is `Problems parsing JSON`. */
async function objectBody(c: Context): Promise<Record<string, unknown> | undefined> {
	try {
		const value: unknown = JSON.parse(await c.req.text())
		return typeof value === 'object' && value !== null && !Array.isArray(value)
			? (value as Record<string, unknown>)
			: undefined
	} catch {
		return undefined
	}
}

/** Validates a comment body: a string of at most 65536 characters. */
function bodyProblem(body: unknown, docs: string): Response | undefined {
	if (typeof body !== 'string') {
		return validationFailed(
			[{ resource: 'IssueComment', code: 'missing_field', field: 'body' }],
			docs,
		)
	}
	if (body.length > MAX_COMMENT_CHARS) {
		return validationFailed(
			[
				{
					resource: 'IssueComment',
					code: 'custom',
					field: 'body',
					message: `body is too long (maximum is ${MAX_COMMENT_CHARS} characters)`,
				},
			],
			docs,
		)
	}
	return undefined
}

/** The pull-request and issue-comment routes (mounted in the REST app, behind its auth and faults). */
export function createPullRoutes(ctx: RestContext): Hono {
	const app = new Hono()
	const repoOf = (c: Context): RepoState | undefined =>
		findRepo(ctx.state(), c.req.param('owner') ?? '', c.req.param('repo') ?? '')
	const pullOf = (c: Context, param = 'number') => {
		const repo = repoOf(c)
		const pull = repo?.pulls.get(Number(c.req.param(param)))
		return repo && pull ? { repo, pull } : undefined
	}
	const commentOf = (c: Context) => {
		const repo = repoOf(c)
		const comment = repo?.comments.find((x) => String(x.id) === c.req.param('comment_id'))
		return repo && comment ? { repo, comment } : undefined
	}

	app.get('/repos/:owner/:repo/pulls/:number{[0-9]+}', (c) => {
		const found = pullOf(c)
		if (!found) {
			return githubError(404, 'Not Found', DOCS.getPull)
		}
		return json(200, restPullRequest(found.repo, found.pull, linksOf(c, ctx)))
	})

	app.get('/repos/:owner/:repo/pulls/:number{[0-9]+}/files', (c) => {
		const found = pullOf(c)
		if (!found) {
			return githubError(404, 'Not Found', DOCS.listPullFiles)
		}
		const { repo, pull } = found
		const head = resolveRef(repo, pull.headSha)
		const links = linksOf(c, ctx)
		const all = head ? changedFiles(repo, pull).slice(0, MAX_PULL_FILES) : []
		const { perPage, page } = pageParams(c)
		const items: Schemas['diff-entry'][] = all
			.slice((page - 1) * perPage, page * perPage)
			.map((change) => diffEntry(repo, head as NonNullable<typeof head>, change, links))
		const url = `${links.api}/repos/${repo.fullName}/pulls/${pull.number}/files`
		return json(200, items, pageLinks(url, perPage, page, all.length))
	})

	app.get('/repos/:owner/:repo/issues/:number{[0-9]+}/comments', (c) => {
		const found = pullOf(c)
		if (!found) {
			return githubError(404, 'Not Found', DOCS.listComments)
		}
		const { repo, pull } = found
		const links = linksOf(c, ctx)
		const all = repo.comments.filter((x) => x.issueNumber === pull.number)
		const { perPage, page } = pageParams(c)
		const url = `${links.api}/repos/${repo.fullName}/issues/${pull.number}/comments`
		return json(
			200,
			all
				.slice((page - 1) * perPage, page * perPage)
				.map((comment) => commentObject(repo, comment, links, ctx.user)),
			pageLinks(url, perPage, page, all.length),
		)
	})

	app.post('/repos/:owner/:repo/issues/:number{[0-9]+}/comments', async (c) => {
		const found = pullOf(c)
		if (!found) {
			return githubError(404, 'Not Found', DOCS.createComment)
		}
		const input = await objectBody(c)
		if (!input) {
			return githubError(400, 'Problems parsing JSON', DOCS.createComment)
		}
		const problem = bodyProblem(input.body, DOCS.createComment)
		if (problem) {
			return problem
		}
		const { repo, pull } = found
		const at = ctx.now()
		const comment: CommentRecord = {
			id: ctx.state().nextCommentId++,
			issueNumber: pull.number,
			body: input.body as string,
			user: ctx.user.login,
			createdAt: at,
			updatedAt: at,
		}
		repo.comments.push(comment)
		const links = linksOf(c, ctx)
		return json(201, commentObject(repo, comment, links, ctx.user), {
			location: `${links.api}/repos/${repo.fullName}/issues/comments/${comment.id}`,
		})
	})

	app.get('/repos/:owner/:repo/issues/comments/:comment_id{[0-9]+}', (c) => {
		const found = commentOf(c)
		if (!found) {
			return githubError(404, 'Not Found', DOCS.getComment)
		}
		return json(200, commentObject(found.repo, found.comment, linksOf(c, ctx), ctx.user))
	})

	app.patch('/repos/:owner/:repo/issues/comments/:comment_id{[0-9]+}', async (c) => {
		const found = commentOf(c)
		if (!found) {
			return githubError(404, 'Not Found', DOCS.updateComment)
		}
		const input = await objectBody(c)
		if (!input) {
			return githubError(400, 'Problems parsing JSON', DOCS.updateComment)
		}
		const problem = bodyProblem(input.body, DOCS.updateComment)
		if (problem) {
			return problem
		}
		found.comment.body = input.body as string
		found.comment.updatedAt = ctx.now()
		return json(200, commentObject(found.repo, found.comment, linksOf(c, ctx), ctx.user))
	})

	app.delete('/repos/:owner/:repo/issues/comments/:comment_id{[0-9]+}', (c) => {
		const found = commentOf(c)
		if (!found) {
			return githubError(404, 'Not Found', DOCS.deleteComment)
		}
		found.repo.comments = found.repo.comments.filter((x) => x !== found.comment)
		return json(204, null)
	})

	return app
}

/** The `pull_request` actions the stand-in sends. */
export type PullRequestAction =
	| 'opened'
	| 'synchronize'
	| 'closed'
	| 'reopened'
	| 'ready_for_review'

/** A `pull_request` webhook payload for one action (`before`/`after` for `synchronize`). */
export function pullRequestPayload(input: {
	action: PullRequestAction
	repo: RepoState
	pull: PullRecord
	links: Links
	sender: StandinUser
	before?: string
}): PullRequestEvent {
	const { repo, pull, links } = input
	const pr = webhookPullRequest(repo, pull, links)
	const common = {
		number: pull.number,
		repository: repositoryObject(repo, links, 'other'),
		sender: userObject(input.sender.login, input.sender.id, links),
	}
	const open = {
		...pr,
		state: 'open',
		closed_at: null,
		merged_at: null,
		merged: pull.merged,
		merged_by: null,
	} as const
	switch (input.action) {
		case 'opened':
			return {
				action: 'opened',
				...common,
				pull_request: { ...open, active_lock_reason: null },
			} satisfies PullRequestOpenedEvent
		case 'reopened':
			return {
				action: 'reopened',
				...common,
				pull_request: open,
			} satisfies PullRequestReopenedEvent
		case 'ready_for_review':
			return {
				action: 'ready_for_review',
				...common,
				pull_request: { ...open, draft: false },
			} satisfies PullRequestReadyForReviewEvent
		case 'synchronize':
			return {
				action: 'synchronize',
				...common,
				before: input.before ?? pull.headSha,
				after: pull.headSha,
				pull_request: pr,
			} satisfies PullRequestSynchronizeEvent
		case 'closed':
			return {
				action: 'closed',
				...common,
				pull_request: {
					...pr,
					state: 'closed',
					closed_at: isoSeconds(pull.closedAt ?? pull.updatedAt),
					merged: pull.merged,
				},
			} satisfies PullRequestClosedEvent
	}
}
