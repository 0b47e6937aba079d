/** @module The GitHub stand-in's in-memory state: repositories, branches, commits, statuses, deliveries. */
import type { GitCommit } from './git.ts'
import type { RepositoryFacts } from './payloads.ts'

/** A commit status as stored. */
export interface StatusRecord {
	id: number
	sha: string
	state: 'error' | 'failure' | 'pending' | 'success'
	description: string | null
	targetUrl: string | null
	context: string
	createdAt: number
}

/** One webhook delivery attempt, with exactly what was sent and what came back. */
export interface GitHubDelivery {
	id: number
	guid: string
	hookId: number
	repositoryId: number
	repository: string
	event: string
	action: string | null
	/** Unix milliseconds. */
	deliveredAt: number
	durationMs: number
	redelivery: boolean
	/** The target's HTTP status, 0 when it could not be reached or timed out. */
	statusCode: number
	/** GitHub's wording: `OK`, `Invalid HTTP Response: 500`, `failed to connect to host`, `timed out`. */
	status: string
	/** True for a 2xx answer. */
	ok: boolean
	url: string | null
	contentType: 'json' | 'form'
	requestHeaders: Record<string, string>
	/** The exact body sent (and signed). */
	body: string
	payload: unknown
	responseHeaders: Record<string, string>
	responseBody: string
}

/** A repository and its git data. */
export interface RepoState extends RepositoryFacts {
	hookId: number
	branches: Map<string, string>
	commits: Map<string, GitCommit>
	statuses: StatusRecord[]
	/** GitHub usernames of commit authors, by commit SHA (for `push.commits[].author.username`). */
	usernames: Map<string, string | undefined>
	/** Pull requests by number (issues and pull requests share the numbering). */
	pulls: Map<number, PullRecord>
	/** Issue comments (on pull requests), oldest first. */
	comments: CommentRecord[]
}

/** Where a pull request's head lives: this repository, or a fork of it. */
export interface HeadRepository extends RepositoryFacts {
	fork: boolean
}

/** A pull request as stored. Its head commits live in the base repository (GitHub's `refs/pull/N/head`). */
export interface PullRecord {
	/** GitHub's global id: never reused, not even across the stand-in's reset. */
	id: number
	number: number
	title: string
	body: string | null
	/** Login of the author. */
	user: string
	headRef: string
	headRepo: HeadRepository
	headSha: string
	baseRef: string
	state: 'open' | 'closed'
	draft: boolean
	merged: boolean
	mergeCommitSha: string | null
	createdAt: number
	updatedAt: number
	closedAt: number | null
	mergedAt: number | null
}

/** An issue comment as stored. */
export interface CommentRecord {
	id: number
	issueNumber: number
	body: string
	/** Login of the author (the token's user). */
	user: string
	createdAt: number
	updatedAt: number
}

/** Everything the stand-in remembers; rebuilt from the options on reset. */
export interface StandinState {
	repos: Map<string, RepoState>
	deliveries: GitHubDelivery[]
	nextStatusId: number
	nextDeliveryId: number
	nextCommentId: number
}

/** A repository by `owner/name` (case-insensitive, like GitHub). */
export function findRepo(state: StandinState, owner: string, name: string): RepoState | undefined {
	return state.repos.get(`${owner}/${name}`.toLowerCase())
}

/** The commit a ref names: a full or unique short SHA, a branch, `heads/<b>` or `refs/heads/<b>`. */
export function resolveRef(repo: RepoState, ref: string): GitCommit | undefined {
	if (/^[0-9a-f]{40}$/i.test(ref)) {
		return repo.commits.get(ref.toLowerCase())
	}
	const branch = ref.replace(/^refs\//, '').replace(/^heads\//, '')
	const branchSha = repo.branches.get(branch)
	if (branchSha) {
		return repo.commits.get(branchSha)
	}
	if (/^[0-9a-f]{7,39}$/i.test(ref)) {
		const prefix = ref.toLowerCase()
		const matches = [...repo.commits.keys()].filter((sha) => sha.startsWith(prefix))
		return matches.length === 1 && matches[0] ? repo.commits.get(matches[0]) : undefined
	}
	return undefined
}

/** Whether `ancestor` is reachable from `descendant` through parents (a commit is its own ancestor). */
export function isAncestor(repo: RepoState, ancestor: string, descendant: string): boolean {
	const queue = [descendant]
	const seen = new Set<string>()
	while (queue.length > 0) {
		const sha = queue.shift() ?? ''
		if (sha === ancestor) {
			return true
		}
		if (seen.has(sha)) {
			continue
		}
		seen.add(sha)
		queue.push(...(repo.commits.get(sha)?.parents ?? []))
	}
	return false
}
