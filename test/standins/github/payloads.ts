/**
 * @module Webhook payloads (`push`, `ping`) shaped like GitHub's, type-checked against
 * `@octokit/webhooks-types`. Links point at the stand-in's public API URL and at github.com.
 */
import type {
	Commit,
	Committer,
	PingEvent,
	PushEvent,
	Repository,
	User,
} from '@octokit/webhooks-types'
import type { GitCommit } from './git.ts'

/** The account behind the API token, also the pusher and sender of webhooks. */
export interface StandinUser {
	login: string
	id: number
	name: string
	email: string
}

/** What a payload needs to know about a repository. */
export interface RepositoryFacts {
	id: number
	owner: string
	ownerId: number
	name: string
	fullName: string
	defaultBranch: string
	private: boolean
	createdAt: number
	pushedAt: number
}

/** Where links in payloads and answers point. */
export interface Links {
	/** REST API base, no trailing slash (e.g. `https://api.github.com`). */
	api: string
	/** Web base, no trailing slash (e.g. `https://github.com`). */
	html: string
}

/** A 40-hex all-zero SHA: `before` of a created ref, `after` of a deleted one. */
export const ZERO_SHA = '0000000000000000000000000000000000000000'

/** ISO 8601 without milliseconds, as GitHub writes timestamps. */
export function isoSeconds(ms: number): string {
	return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** A GitHub-style global node id. */
export function nodeId(kind: string, id: number | string): string {
	return btoa(`0${kind.length}:${kind}${id}`)
}

/** A user object (the `sender`, `owner`, status `creator` shape). */
export function userObject(login: string, id: number, links: Links): User {
	const url = `${links.api}/users/${login}`
	return {
		login,
		id,
		node_id: nodeId('User', id),
		avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
		gravatar_id: '',
		url,
		html_url: `${links.html}/${login}`,
		followers_url: `${url}/followers`,
		following_url: `${url}/following{/other_user}`,
		gists_url: `${url}/gists{/gist_id}`,
		starred_url: `${url}/starred{/owner}{/repo}`,
		subscriptions_url: `${url}/subscriptions`,
		organizations_url: `${url}/orgs`,
		repos_url: `${url}/repos`,
		events_url: `${url}/events{/privacy}`,
		received_events_url: `${url}/received_events`,
		type: 'User',
		site_admin: false,
	}
}

/**
 * The `repository` object of a webhook. In `push` payloads GitHub writes `created_at` and
 * `pushed_at` as Unix seconds and `url` as the web URL; other events use ISO strings and the API URL.
 */
export function repositoryObject(
	repo: RepositoryFacts,
	links: Links,
	style: 'push' | 'other',
): Repository {
	const api = `${links.api}/repos/${repo.fullName}`
	const html = `${links.html}/${repo.fullName}`
	return {
		id: repo.id,
		node_id: nodeId('Repository', repo.id),
		name: repo.name,
		full_name: repo.fullName,
		private: repo.private,
		owner: userObject(repo.owner, repo.ownerId, links),
		html_url: html,
		description: null,
		fork: false,
		url: style === 'push' ? html : api,
		forks_url: `${api}/forks`,
		keys_url: `${api}/keys{/key_id}`,
		collaborators_url: `${api}/collaborators{/collaborator}`,
		teams_url: `${api}/teams`,
		hooks_url: `${api}/hooks`,
		issue_events_url: `${api}/issues/events{/number}`,
		events_url: `${api}/events`,
		assignees_url: `${api}/assignees{/user}`,
		branches_url: `${api}/branches{/branch}`,
		tags_url: `${api}/tags`,
		blobs_url: `${api}/git/blobs{/sha}`,
		git_tags_url: `${api}/git/tags{/sha}`,
		git_refs_url: `${api}/git/refs{/sha}`,
		trees_url: `${api}/git/trees{/sha}`,
		statuses_url: `${api}/statuses/{sha}`,
		languages_url: `${api}/languages`,
		stargazers_url: `${api}/stargazers`,
		contributors_url: `${api}/contributors`,
		subscribers_url: `${api}/subscribers`,
		subscription_url: `${api}/subscription`,
		commits_url: `${api}/commits{/sha}`,
		git_commits_url: `${api}/git/commits{/sha}`,
		comments_url: `${api}/comments{/number}`,
		issue_comment_url: `${api}/issues/comments{/number}`,
		contents_url: `${api}/contents/{+path}`,
		compare_url: `${api}/compare/{base}...{head}`,
		merges_url: `${api}/merges`,
		archive_url: `${api}/{archive_format}{/ref}`,
		downloads_url: `${api}/downloads`,
		issues_url: `${api}/issues{/number}`,
		pulls_url: `${api}/pulls{/number}`,
		milestones_url: `${api}/milestones{/number}`,
		notifications_url: `${api}/notifications{?since,all,participating}`,
		labels_url: `${api}/labels{/name}`,
		releases_url: `${api}/releases{/id}`,
		deployments_url: `${api}/deployments`,
		created_at: style === 'push' ? Math.floor(repo.createdAt / 1000) : isoSeconds(repo.createdAt),
		updated_at: isoSeconds(repo.pushedAt),
		pushed_at: style === 'push' ? Math.floor(repo.pushedAt / 1000) : isoSeconds(repo.pushedAt),
		git_url: `git://${new URL(links.html).host}/${repo.fullName}.git`,
		ssh_url: `git@${new URL(links.html).host}:${repo.fullName}.git`,
		clone_url: `${html}.git`,
		svn_url: html,
		homepage: null,
		size: 0,
		stargazers_count: 0,
		watchers_count: 0,
		language: null,
		has_issues: true,
		has_projects: true,
		has_downloads: true,
		has_wiki: true,
		has_pages: false,
		has_discussions: false,
		forks_count: 0,
		mirror_url: null,
		archived: false,
		disabled: false,
		open_issues_count: 0,
		license: null,
		forks: 0,
		open_issues: 0,
		watchers: 0,
		default_branch: repo.defaultBranch,
		is_template: false,
		web_commit_signoff_required: false,
		topics: [],
		visibility: repo.private ? 'private' : 'public',
		custom_properties: {},
		...(style === 'push' ? { stargazers: 0, master_branch: repo.defaultBranch } : {}),
	}
}

/** A commit as it appears in `push.commits[]` and `push.head_commit`. */
export function pushCommit(
	commit: GitCommit,
	repo: RepositoryFacts,
	links: Links,
	authorUsername: string | undefined,
): Commit {
	const author: Committer = { name: commit.author.name, email: commit.author.email }
	if (authorUsername) {
		author.username = authorUsername
	}
	return {
		id: commit.sha,
		tree_id: commit.treeSha,
		distinct: true,
		message: commit.message,
		timestamp: isoSeconds(commit.committer.date),
		url: `${links.html}/${repo.fullName}/commit/${commit.sha}`,
		author,
		committer: { name: commit.committer.name, email: commit.committer.email },
		added: commit.changes.filter((c) => c.status === 'added').map((c) => c.filename),
		removed: commit.changes.filter((c) => c.status === 'removed').map((c) => c.filename),
		modified: commit.changes.filter((c) => c.status === 'modified').map((c) => c.filename),
	}
}

/** A `push` payload for a branch update, creation or deletion. */
export function pushPayload(input: {
	repo: RepositoryFacts
	links: Links
	branch: string
	before: string
	after: string
	created: boolean
	deleted: boolean
	forced: boolean
	commits: GitCommit[]
	pusher: StandinUser
	authorUsernames: (string | undefined)[]
}): PushEvent {
	const { repo, links, before, after } = input
	const commits = input.commits.map((commit, i) =>
		pushCommit(commit, repo, links, input.authorUsernames[i]),
	)
	const html = `${links.html}/${repo.fullName}`
	const compare = input.created
		? `${html}/commit/${after.slice(0, 12)}`
		: `${html}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`
	return {
		ref: `refs/heads/${input.branch}`,
		before,
		after,
		repository: repositoryObject(repo, links, 'push'),
		pusher: { name: input.pusher.login, email: input.pusher.email },
		sender: userObject(input.pusher.login, input.pusher.id, links),
		created: input.created,
		deleted: input.deleted,
		forced: input.forced,
		base_ref: null,
		compare,
		commits,
		head_commit: commits.at(-1) ?? null,
	}
}

/** A `ping` payload, as sent when a hook is created or pinged. */
export function pingPayload(input: {
	repo: RepositoryFacts
	links: Links
	hookId: number
	url: string
	contentType: 'json' | 'form'
	hasSecret: boolean
	sender: StandinUser
	createdAt: number
}): PingEvent {
	const { repo, links, hookId } = input
	const hookUrl = `${links.api}/repos/${repo.fullName}/hooks/${hookId}`
	return {
		zen: 'Keep it logically awesome.',
		hook_id: hookId,
		hook: {
			type: 'Repository',
			id: hookId,
			name: 'web',
			active: true,
			events: ['push'],
			config: {
				content_type: input.contentType,
				url: input.url,
				insecure_ssl: '0',
				...(input.hasSecret ? { secret: '********' } : {}),
			},
			updated_at: isoSeconds(input.createdAt),
			created_at: isoSeconds(input.createdAt),
			url: hookUrl,
			test_url: `${hookUrl}/test`,
			ping_url: `${hookUrl}/pings`,
			deliveries_url: `${hookUrl}/deliveries`,
			last_response: { code: null, status: 'unused', message: null },
		},
		repository: repositoryObject(repo, links, 'other'),
		sender: userObject(input.sender.login, input.sender.id, links),
	}
}
