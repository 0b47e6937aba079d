/**
 * @module The GitHub REST endpoints tidegate calls, answered from the stand-in's state. Shapes are
 * typed with `@octokit/openapi-types`, so a drift from GitHub's published schema fails to compile.
 */
import type { components } from '@octokit/openapi-types'
import { type Context, Hono } from 'hono'
import { type GitCommit, type GitFileChange, lineDelta } from './git.ts'
import { DOCS, githubError, json, validationFailed } from './http.ts'
import { isoSeconds, type Links, nodeId, type StandinUser, userObject } from './payloads.ts'
import { createPullRoutes } from './pulls.ts'
import {
	findRepo,
	type GitHubDelivery,
	type RepoState,
	resolveRef,
	type StandinState,
	type StatusRecord,
} from './state.ts'

type Schemas = components['schemas']

/** What the REST routes need from the stand-in. */
export interface RestContext {
	state(): StandinState
	user: StandinUser
	/** Web base URL (`https://github.com`). */
	htmlUrl: string
	now(): number
	/** Re-sends a delivery (the stand-in decides whether to wait for it). */
	redeliver(repo: RepoState, delivery: GitHubDelivery): Promise<void>
	/** Sends a `ping` to the hook's target. */
	ping(repo: RepoState): Promise<void>
}

/** GitHub keeps deliveries redeliverable for 3 days on github.com. */
const REDELIVERY_WINDOW_MS = 3 * 24 * 60 * 60 * 1000
/** The contents API inlines files up to 1 MB; larger ones come back with `encoding: "none"`. */
const INLINE_CONTENT_LIMIT = 1024 * 1024
/** The compare API lists at most 300 changed files, and without paging at most 250 commits. */
const MAX_COMPARE_FILES = 300
const MAX_COMPARE_COMMITS = 250
/** GitHub stores at most this many statuses per SHA and context. */
const MAX_STATUSES_PER_CONTEXT = 1000
const STATES = ['error', 'failure', 'pending', 'success'] as const

function segmentsOf(c: Context): string[] | undefined {
	try {
		return new URL(c.req.url).pathname.split('/').slice(1).map(decodeURIComponent)
	} catch {
		return undefined
	}
}

/** Links of an answer: the API origin the request came to, and the web base. */
export function linksOf(c: Context, ctx: RestContext): Links {
	return { api: new URL(c.req.url).origin, html: ctx.htmlUrl }
}

/** Encodes each segment of a repository path for a URL. */
export function encodePath(path: string): string {
	return path.split('/').map(encodeURIComponent).join('/')
}

function base64Lines(bytes: Uint8Array): string {
	let binary = ''
	for (let i = 0; i < bytes.length; i += 0x8000) {
		binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
	}
	const encoded = btoa(binary)
	// GitHub wraps base64 content at 60 characters, each line ending in "\n".
	let out = ''
	for (let i = 0; i < encoded.length; i += 60) {
		out += `${encoded.slice(i, i + 60)}\n`
	}
	return out
}

/** `per_page` (default 30, at most 100) and `page` (default 1), as GitHub reads them. */
export function pageParams(c: Context): { perPage: number; page: number } {
	const perPage = Number.parseInt(c.req.query('per_page') ?? '30', 10)
	const page = Number.parseInt(c.req.query('page') ?? '1', 10)
	return {
		perPage: Number.isFinite(perPage) && perPage > 0 ? Math.min(perPage, 100) : 30,
		page: Number.isFinite(page) && page > 0 ? page : 1,
	}
}

function mediaType(c: Context): { raw: boolean; object: boolean; sha: boolean } {
	const accept = (c.req.header('accept') ?? '').toLowerCase()
	return {
		raw: /application\/vnd\.github(\.v3)?\.raw/.test(accept),
		object: /application\/vnd\.github(\.v3)?\.object/.test(accept),
		sha: /application\/vnd\.github(\.v3)?\.sha/.test(accept),
	}
}

/** The Hono app serving the REST paths (auth, faults and rate limits are applied around it). */
export function createRestApp(ctx: RestContext): Hono {
	const app = new Hono()

	const repoOf = (c: Context): RepoState | undefined =>
		findRepo(ctx.state(), c.req.param('owner') ?? '', c.req.param('repo') ?? '')

	const userFor = (email: string, links: Links): Schemas['simple-user'] | null =>
		email.toLowerCase() === ctx.user.email.toLowerCase()
			? userObject(ctx.user.login, ctx.user.id, links)
			: null

	const listStatuses = (c: Context, repo: RepoState, ref: string) => {
		const commit = resolveRef(repo, ref)
		const all = commit
			? repo.statuses.filter((s) => s.sha === commit.sha).sort((a, b) => b.id - a.id)
			: []
		const { perPage, page } = pageParams(c)
		const links = linksOf(c, ctx)
		const items: Schemas['status'][] = all
			.slice((page - 1) * perPage, page * perPage)
			.map((record) => statusObject(repo, record, links, ctx.user))
		const last = Math.max(1, Math.ceil(all.length / perPage))
		const headers = new Headers()
		if (page < last) {
			const base = `${links.api}/repos/${repo.fullName}/commits/${encodePath(ref)}/statuses`
			const href = (p: number) => `<${base}?per_page=${perPage}&page=${p}>`
			headers.set('link', `${href(page + 1)}; rel="next", ${href(last)}; rel="last"`)
		}
		return json(200, items, headers)
	}

	app.get('/repos/:owner/:repo/git/ref/*', (c) => {
		const repo = repoOf(c)
		const ref = segmentsOf(c)?.slice(5).join('/') ?? ''
		const branch = ref.startsWith('heads/') ? ref.slice('heads/'.length) : undefined
		const sha = repo && branch ? repo.branches.get(branch) : undefined
		if (!repo || !sha) {
			return githubError(404, 'Not Found', DOCS.getRef)
		}
		const api = `${linksOf(c, ctx).api}/repos/${repo.fullName}`
		const body: Schemas['git-ref'] = {
			ref: `refs/${ref}`,
			node_id: nodeId('Ref', `${repo.id}:refs/${ref}`),
			url: `${api}/git/refs/${encodePath(ref)}`,
			object: { sha, type: 'commit', url: `${api}/git/commits/${sha}` },
		}
		return json(200, body)
	})

	app.get('/repos/:owner/:repo/commits/*', (c) => {
		const repo = repoOf(c)
		const rest = segmentsOf(c)?.slice(4) ?? []
		if (!repo) {
			return githubError(404, 'Not Found', DOCS.getCommit)
		}
		if (rest.length >= 2 && rest.at(-1) === 'statuses') {
			return listStatuses(c, repo, rest.slice(0, -1).join('/'))
		}
		const ref = rest.join('/')
		const commit = ref === '' ? undefined : resolveRef(repo, ref)
		if (!commit) {
			return githubError(422, `No commit found for SHA: ${ref}`, DOCS.getCommit)
		}
		if (mediaType(c).sha) {
			return new Response(commit.sha, {
				headers: {
					'content-type': 'application/vnd.github.sha; charset=utf-8',
					'x-github-media-type': 'github.sha; format=json',
				},
			})
		}
		return json(200, commitObject(repo, commit, linksOf(c, ctx), userFor))
	})

	app.get('/repos/:owner/:repo/compare/*', (c) => {
		const repo = repoOf(c)
		const basehead = (segmentsOf(c)?.slice(4) ?? []).join('/')
		const dots = basehead.indexOf('...')
		if (!repo || dots <= 0 || dots + 3 >= basehead.length) {
			return githubError(404, 'Not Found', DOCS.compare)
		}
		const baseRef = basehead.slice(0, dots)
		const headRef = basehead.slice(dots + 3)
		const base = resolveRef(repo, baseRef)
		const head = resolveRef(repo, headRef)
		if (!base || !head) {
			return githubError(404, 'Not Found', DOCS.compare)
		}
		const mergeBase = findMergeBase(repo, base.sha, head.sha)
		if (!mergeBase) {
			return githubError(404, `No common ancestor between ${baseRef} and ${headRef}.`, DOCS.compare)
		}
		const links = linksOf(c, ctx)
		// Pagination applies to the commits; files come whole (at most 300) on the first page only.
		const paged = c.req.query('per_page') !== undefined || c.req.query('page') !== undefined
		const { perPage, page } = pageParams(c)
		const ahead = commitsBetween(repo, mergeBase.sha, head.sha)
		const behind = commitsBetween(repo, mergeBase.sha, base.sha)
		const shown = paged
			? ahead.slice((page - 1) * perPage, page * perPage)
			: ahead.slice(-MAX_COMPARE_COMMITS)
		const headers = new Headers()
		if (paged) {
			const last = Math.max(1, Math.ceil(ahead.length / perPage))
			if (page < last) {
				const self = `${links.api}/repos/${repo.fullName}/compare/${encodePath(basehead)}`
				const href = (p: number) => `<${self}?per_page=${perPage}&page=${p}>`
				headers.set('link', `${href(page + 1)}; rel="next", ${href(last)}; rel="last"`)
			}
		}
		const brief = (commit: GitCommit): Schemas['commit'] => {
			const { files: _files, stats: _stats, ...rest } = commitObject(repo, commit, links, userFor)
			return rest
		}
		const html = `${links.html}/${repo.fullName}`
		const body: Schemas['commit-comparison'] = {
			url: `${links.api}/repos/${repo.fullName}/compare/${basehead}`,
			html_url: `${html}/compare/${basehead}`,
			permalink_url: `${html}/compare/${repo.owner}:${base.sha}...${repo.owner}:${head.sha}`,
			diff_url: `${html}/compare/${basehead}.diff`,
			patch_url: `${html}/compare/${basehead}.patch`,
			base_commit: brief(base),
			merge_base_commit: brief(mergeBase),
			status:
				base.sha === head.sha
					? 'identical'
					: behind.length === 0
						? 'ahead'
						: ahead.length === 0
							? 'behind'
							: 'diverged',
			ahead_by: ahead.length,
			behind_by: behind.length,
			total_commits: ahead.length,
			commits: shown.map(brief),
			...((!paged || page === 1) && {
				files: treeDiff(mergeBase, head)
					.slice(0, MAX_COMPARE_FILES)
					.map((change) => diffEntry(repo, head, change, links)),
			}),
		}
		return json(200, body, headers)
	})

	const contents = (c: Context) => {
		const repo = repoOf(c)
		if (!repo) {
			return githubError(404, 'Not Found', DOCS.getContent)
		}
		const path = (segmentsOf(c)?.slice(4) ?? []).filter((s) => s !== '').join('/')
		const refParam = c.req.query('ref')
		const ref = refParam === undefined || refParam === '' ? repo.defaultBranch : refParam
		const commit = resolveRef(repo, ref)
		if (!commit) {
			return githubError(404, `No commit found for the ref ${ref}`, DOCS.getContent)
		}
		const links = linksOf(c, ctx)
		const media = mediaType(c)
		const blob = commit.files.get(path)
		if (blob) {
			if (media.raw) {
				return new Response(blob.bytes, {
					headers: {
						'content-type': 'text/plain; charset=utf-8',
						'x-github-media-type': 'github.raw; format=json',
					},
				})
			}
			const inline = blob.bytes.length <= INLINE_CONTENT_LIMIT
			const body: Schemas['content-file'] = {
				type: 'file',
				encoding: inline ? 'base64' : 'none',
				size: blob.bytes.length,
				name: path.split('/').at(-1) ?? path,
				path,
				content: inline ? base64Lines(blob.bytes) : '',
				sha: blob.sha,
				...entryLinks(repo, links, ref, path, 'file', blob.sha),
			}
			return json(200, body)
		}
		if (path !== '' && !commit.trees.has(path)) {
			return githubError(404, 'Not Found', DOCS.getContent)
		}
		const entries = listEntries(repo, commit, links, ref, path)
		if (media.object) {
			const sha = commit.trees.get(path) ?? ''
			return json(200, {
				type: 'dir',
				size: 0,
				name: path.split('/').at(-1) ?? '',
				path,
				sha,
				...entryLinks(repo, links, ref, path, 'dir', sha),
				entries,
			})
		}
		return json(200, entries)
	}
	app.get('/repos/:owner/:repo/contents', contents)
	app.get('/repos/:owner/:repo/contents/*', contents)

	app.post('/repos/:owner/:repo/statuses/:sha', async (c) => {
		const repo = repoOf(c)
		if (!repo) {
			return githubError(404, 'Not Found', DOCS.createStatus)
		}
		const shaParam = c.req.param('sha') ?? ''
		let input: unknown
		try {
			input = JSON.parse(await c.req.text())
		} catch {
			return githubError(400, 'Problems parsing JSON', DOCS.createStatus)
		}
		if (typeof input !== 'object' || input === null || Array.isArray(input)) {
			return githubError(400, 'Problems parsing JSON', DOCS.createStatus)
		}
		const body = input as Record<string, unknown>
		for (const field of ['target_url', 'description', 'context'] as const) {
			const value = body[field]
			if (value !== undefined && value !== null && typeof value !== 'string') {
				return githubError(
					422,
					`Invalid request.\n\nFor 'properties/${field}', ${JSON.stringify(value)} is not a string or null.`,
					DOCS.createStatus,
				)
			}
		}
		const state = STATES.find((s) => s === body.state)
		if (!state) {
			return validationFailed(
				[
					{
						resource: 'Status',
						code: body.state === undefined ? 'missing_field' : 'custom',
						field: 'state',
						message: 'state is not included in the list',
					},
				],
				DOCS.createStatus,
			)
		}
		const commit = resolveRef(repo, shaParam)
		if (!commit) {
			return githubError(422, `No commit found for SHA: ${shaParam}`, DOCS.createStatus)
		}
		const context = typeof body.context === 'string' ? body.context : 'default'
		const existing = repo.statuses.filter((s) => s.sha === commit.sha && s.context === context)
		if (existing.length >= MAX_STATUSES_PER_CONTEXT) {
			return validationFailed(
				[
					{
						resource: 'Status',
						code: 'custom',
						message: 'This SHA and context has reached the maximum number of statuses.',
					},
				],
				DOCS.createStatus,
			)
		}
		const standin = ctx.state()
		const record: StatusRecord = {
			id: standin.nextStatusId++,
			sha: commit.sha,
			state,
			description: typeof body.description === 'string' ? body.description : null,
			targetUrl: typeof body.target_url === 'string' ? body.target_url : null,
			context,
			createdAt: ctx.now(),
		}
		repo.statuses.push(record)
		const links = linksOf(c, ctx)
		return json(201, statusObject(repo, record, links, ctx.user), {
			location: `${links.api}/repos/${repo.fullName}/statuses/${commit.sha}`,
		})
	})

	const hookRepo = (c: Context): RepoState | undefined => {
		const repo = repoOf(c)
		return repo && String(repo.hookId) === c.req.param('hook_id') ? repo : undefined
	}

	app.get('/repos/:owner/:repo/hooks/:hook_id/deliveries', (c) => {
		const repo = hookRepo(c)
		if (!repo) {
			return githubError(404, 'Not Found', DOCS.listDeliveries)
		}
		const { perPage } = pageParams(c)
		const cursor = c.req.query('cursor')
		let before = Number.POSITIVE_INFINITY
		if (cursor !== undefined && cursor !== '') {
			const match = /^v1_(\d+)$/.exec(cursor)
			if (!match) {
				return githubError(400, 'Bad Request', DOCS.listDeliveries)
			}
			before = Number(match[1])
		}
		const redelivery = c.req.query('redelivery')
		const all = ctx
			.state()
			.deliveries.filter((d) => d.hookId === repo.hookId && d.id < before)
			.filter((d) => redelivery === undefined || String(d.redelivery) === redelivery)
			.sort((a, b) => b.id - a.id)
		const page = all.slice(0, perPage)
		const headers = new Headers()
		const lastOnPage = page.at(-1)
		if (all.length > perPage && lastOnPage) {
			const base = `${linksOf(c, ctx).api}/repos/${repo.fullName}/hooks/${repo.hookId}/deliveries`
			headers.set('link', `<${base}?per_page=${perPage}&cursor=v1_${lastOnPage.id}>; rel="next"`)
		}
		return json(200, page.map(deliveryItem), headers)
	})

	app.get('/repos/:owner/:repo/hooks/:hook_id/deliveries/:delivery_id', (c) => {
		const repo = hookRepo(c)
		const delivery = repo && findDelivery(ctx.state(), repo, c.req.param('delivery_id'))
		if (!delivery) {
			return githubError(404, 'Not Found', DOCS.getDelivery)
		}
		const body: Schemas['hook-delivery'] = {
			...deliveryItem(delivery),
			id: delivery.id,
			installation_id: null,
			repository_id: delivery.repositoryId,
			url: delivery.url ?? '',
			request: { headers: delivery.requestHeaders, payload: payloadObject(delivery.payload) },
			response: { headers: delivery.responseHeaders, payload: delivery.responseBody },
		}
		return json(200, body)
	})

	app.post('/repos/:owner/:repo/hooks/:hook_id/deliveries/:delivery_id/attempts', async (c) => {
		const repo = hookRepo(c)
		const delivery = repo && findDelivery(ctx.state(), repo, c.req.param('delivery_id'))
		if (!repo || !delivery) {
			return githubError(404, 'Not Found', DOCS.redeliver)
		}
		if (ctx.now() - delivery.deliveredAt > REDELIVERY_WINDOW_MS) {
			return validationFailed(
				[
					{
						resource: 'HookDelivery',
						code: 'custom',
						message: 'Deliveries older than 3 days cannot be redelivered.',
					},
				],
				DOCS.redeliver,
			)
		}
		await ctx.redeliver(repo, delivery)
		return json(202, {})
	})

	app.post('/repos/:owner/:repo/hooks/:hook_id/pings', async (c) => {
		const repo = hookRepo(c)
		if (!repo) {
			return githubError(404, 'Not Found', DOCS.ping)
		}
		await ctx.ping(repo)
		return json(204, null)
	})

	app.route('/', createPullRoutes(ctx))

	app.notFound(() => githubError(404, 'Not Found', DOCS.rest))
	app.onError((error) => {
		console.error('github standin: unexpected error', error)
		return githubError(500, 'Server Error', DOCS.rest)
	})
	return app
}

function findDelivery(
	state: StandinState,
	repo: RepoState,
	id: string | undefined,
): GitHubDelivery | undefined {
	return state.deliveries.find((d) => d.hookId === repo.hookId && String(d.id) === id)
}

function payloadObject(payload: unknown): { [key: string]: unknown } | null {
	return typeof payload === 'object' && payload !== null && !Array.isArray(payload)
		? (payload as { [key: string]: unknown })
		: null
}

/** A delivery as listed by `GET …/hooks/{id}/deliveries`. */
export function deliveryItem(delivery: GitHubDelivery): Schemas['hook-delivery-item'] {
	return {
		id: delivery.id,
		guid: delivery.guid,
		delivered_at: isoSeconds(delivery.deliveredAt),
		redelivery: delivery.redelivery,
		duration: delivery.durationMs / 1000,
		status: delivery.status,
		status_code: delivery.statusCode,
		event: delivery.event,
		action: delivery.action,
		installation_id: null,
		repository_id: delivery.repositoryId,
		throttled_at: null,
	}
}

function statusObject(
	repo: RepoState,
	record: StatusRecord,
	links: Links,
	user: StandinUser,
): Schemas['status'] {
	return {
		url: `${links.api}/repos/${repo.fullName}/statuses/${record.sha}`,
		avatar_url: `https://avatars.githubusercontent.com/u/${user.id}?v=4`,
		id: record.id,
		node_id: nodeId('StatusContext', record.id),
		state: record.state,
		description: record.description,
		target_url: record.targetUrl,
		context: record.context,
		created_at: isoSeconds(record.createdAt),
		updated_at: isoSeconds(record.createdAt),
		creator: userObject(user.login, user.id, links),
	}
}

function commitObject(
	repo: RepoState,
	commit: GitCommit,
	links: Links,
	userFor: (email: string, links: Links) => Schemas['simple-user'] | null,
): Schemas['commit'] {
	const api = `${links.api}/repos/${repo.fullName}`
	const html = `${links.html}/${repo.fullName}`
	const additions = commit.changes.reduce((sum, c) => sum + c.additions, 0)
	const deletions = commit.changes.reduce((sum, c) => sum + c.deletions, 0)
	const gitUser = (who: GitCommit['author']) => ({
		name: who.name,
		email: who.email,
		date: isoSeconds(who.date),
	})
	return {
		url: `${api}/commits/${commit.sha}`,
		sha: commit.sha,
		node_id: nodeId('Commit', commit.sha),
		html_url: `${html}/commit/${commit.sha}`,
		comments_url: `${api}/commits/${commit.sha}/comments`,
		commit: {
			url: `${api}/git/commits/${commit.sha}`,
			author: gitUser(commit.author),
			committer: gitUser(commit.committer),
			message: commit.message,
			comment_count: 0,
			tree: { sha: commit.treeSha, url: `${api}/git/trees/${commit.treeSha}` },
			verification: {
				verified: false,
				reason: 'unsigned',
				payload: null,
				signature: null,
				verified_at: null,
			},
		},
		author: userFor(commit.author.email, links),
		committer: userFor(commit.committer.email, links),
		parents: commit.parents.map((sha) => ({
			sha,
			url: `${api}/commits/${sha}`,
			html_url: `${html}/commit/${sha}`,
		})),
		stats: { total: additions + deletions, additions, deletions },
		files: commit.changes.map((change) => diffEntry(repo, commit, change, links)),
	}
}

/** One changed file as GitHub lists it in a commit or a comparison; links point at `commit`. */
export function diffEntry(
	repo: RepoState,
	commit: GitCommit,
	change: GitFileChange,
	links: Links,
): Schemas['diff-entry'] {
	const api = `${links.api}/repos/${repo.fullName}`
	const html = `${links.html}/${repo.fullName}`
	return {
		sha: change.sha,
		filename: change.filename,
		status: change.status,
		additions: change.additions,
		deletions: change.deletions,
		changes: change.changes,
		blob_url: `${html}/blob/${commit.sha}/${encodePath(change.filename)}`,
		raw_url: `${html}/raw/${commit.sha}/${encodePath(change.filename)}`,
		contents_url: `${api}/contents/${encodePath(change.filename)}?ref=${commit.sha}`,
	}
}

/** Every ancestor of a commit (itself included) with its distance, nearest first. */
function ancestors(repo: RepoState, sha: string): Map<string, number> {
	const seen = new Map<string, number>([[sha, 0]])
	const queue = [sha]
	while (queue.length > 0) {
		const current = queue.shift() ?? ''
		const depth = seen.get(current) ?? 0
		for (const parent of repo.commits.get(current)?.parents ?? []) {
			if (!seen.has(parent)) {
				seen.set(parent, depth + 1)
				queue.push(parent)
			}
		}
	}
	return seen
}

/** The nearest common ancestor of two commits, as `git merge-base` finds it for simple histories. */
export function findMergeBase(repo: RepoState, a: string, b: string): GitCommit | undefined {
	const fromA = ancestors(repo, a)
	let best: { sha: string; depth: number } | undefined
	for (const [sha, depth] of ancestors(repo, b)) {
		const other = fromA.get(sha)
		if (other !== undefined && (!best || depth + other < best.depth)) {
			best = { sha, depth: depth + other }
		}
	}
	return best ? repo.commits.get(best.sha) : undefined
}

/** Commits reachable from `head` but not from `base`, parents before children (the compare API's order). */
function commitsBetween(repo: RepoState, base: string, head: string): GitCommit[] {
	const excluded = ancestors(repo, base)
	const out: GitCommit[] = []
	const visited = new Set<string>()
	const visit = (sha: string): void => {
		const commit = repo.commits.get(sha)
		if (visited.has(sha) || excluded.has(sha) || !commit) {
			return
		}
		visited.add(sha)
		for (const parent of commit.parents) {
			visit(parent)
		}
		out.push(commit)
	}
	visit(head)
	return out
}

/** What changed from one tree to another, by path (a three-dot comparison diffs merge base → head). */
export function treeDiff(from: GitCommit, to: GitCommit): GitFileChange[] {
	const paths = [...new Set([...from.files.keys(), ...to.files.keys()])].sort()
	const changes: GitFileChange[] = []
	for (const path of paths) {
		const before = from.files.get(path)
		const after = to.files.get(path)
		if (before?.sha === after?.sha) {
			continue
		}
		const delta = lineDelta(before?.bytes, after?.bytes)
		changes.push({
			filename: path,
			status: before === undefined ? 'added' : after === undefined ? 'removed' : 'modified',
			...delta,
			changes: delta.additions + delta.deletions,
			sha: (after ?? before)?.sha ?? '',
		})
	}
	return changes
}

function entryLinks(
	repo: RepoState,
	links: Links,
	ref: string,
	path: string,
	type: 'file' | 'dir',
	sha: string,
) {
	const api = `${links.api}/repos/${repo.fullName}`
	const html = `${links.html}/${repo.fullName}/${type === 'file' ? 'blob' : 'tree'}/${ref}/${encodePath(path)}`
	const self = `${api}/contents/${encodePath(path)}?ref=${encodeURIComponent(ref)}`
	const git = `${api}/git/${type === 'file' ? 'blobs' : 'trees'}/${sha}`
	return {
		url: self,
		git_url: git,
		html_url: html,
		download_url:
			type === 'file'
				? `https://raw.githubusercontent.com/${repo.fullName}/${ref}/${encodePath(path)}`
				: null,
		_links: { self, git, html },
	}
}

function listEntries(
	repo: RepoState,
	commit: GitCommit,
	links: Links,
	ref: string,
	dir: string,
): Schemas['content-directory'] {
	const prefix = dir === '' ? '' : `${dir}/`
	const entries = new Map<string, Schemas['content-directory'][number]>()
	for (const [path, blob] of commit.files) {
		if (!path.startsWith(prefix)) {
			continue
		}
		const rest = path.slice(prefix.length)
		const slash = rest.indexOf('/')
		if (slash === -1) {
			entries.set(rest, {
				type: 'file',
				size: blob.bytes.length,
				name: rest,
				path,
				sha: blob.sha,
				...entryLinks(repo, links, ref, path, 'file', blob.sha),
			})
		} else {
			const name = rest.slice(0, slash)
			const childPath = `${prefix}${name}`
			const sha = commit.trees.get(childPath) ?? ''
			entries.set(name, {
				type: 'dir',
				size: 0,
				name,
				path: childPath,
				sha,
				...entryLinks(repo, links, ref, childPath, 'dir', sha),
			})
		}
	}
	return [...entries.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}
