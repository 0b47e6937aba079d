/**
 * @module Pull requests over GitHub's REST API: the pull request, its files (paged, 100 a time),
 * and its issue comments (list, create, update in place). Same plain fetch as the repository.
 */
import * as z from 'zod'
import {
	type ChangedFile,
	GITHUB_PERMISSIONS,
	type IssueComment,
	type PullRequestApi,
} from '../../domain/github/ports.ts'
import type { ApiFailure } from '../../domain/ports.ts'
import { err, ok, type Result } from '../../lib/result.ts'
import {
	failure,
	type GitHubOptions,
	type RepositoryRequest,
	repositoryRequest,
} from './request.ts'

/** GitHub's largest page. */
const PAGE = 100
/** GitHub lists at most this many files of a pull request. */
export const GITHUB_MAX_PULL_FILES = 3000

const sha = z.string().regex(/^[0-9a-f]{40}$/)

const pullSchema = z.looseObject({
	number: z.number().int(),
	state: z.enum(['open', 'closed']),
	draft: z.boolean().default(false),
	changed_files: z.number().int().default(0),
	head: z.looseObject({ sha, repo: z.looseObject({ full_name: z.string() }).nullable() }),
	base: z.looseObject({ ref: z.string() }),
})

const filesSchema = z.array(
	z.looseObject({
		filename: z.string().min(1),
		status: z.enum(['added', 'removed', 'modified', 'renamed', 'copied', 'changed', 'unchanged']),
	}),
)

const commentSchema = z.looseObject({ id: z.number().int(), body: z.string().nullish() })

const { pullRequests } = GITHUB_PERMISSIONS

/** PullRequestApi over GitHub REST. */
export function gitHubPullRequests(options: GitHubOptions): PullRequestApi {
	const request = repositoryRequest(options)
	return {
		async get(number) {
			const read = await json(request, `/pulls/${number}`, pullSchema, 'the pull request')
			if (!read.ok) {
				return read
			}
			const pull = read.value
			return ok({
				number: pull.number,
				state: pull.state,
				draft: pull.draft,
				headSha: pull.head.sha,
				headRepository: pull.head.repo?.full_name ?? null,
				baseRef: pull.base.ref,
				changedFiles: pull.changed_files,
			})
		},
		async files(number, maxFiles) {
			const files: ChangedFile[] = []
			const wanted = Math.min(maxFiles, GITHUB_MAX_PULL_FILES)
			for (let page = 1; files.length < wanted; page++) {
				const read = await json(
					request,
					`/pulls/${number}/files?per_page=${PAGE}&page=${page}`,
					filesSchema,
					'the pull request files',
				)
				if (!read.ok) {
					return read
				}
				files.push(...read.value.map((f) => ({ path: f.filename, status: f.status })))
				if (read.value.length < PAGE) {
					return ok({ files: files.slice(0, wanted), truncated: files.length > wanted })
				}
			}
			// A full last page: there may be more than we read (GitHub lists 3000 at most).
			return ok({ files: files.slice(0, wanted), truncated: true })
		},
		async comments(number, maxComments) {
			const comments: IssueComment[] = []
			for (let page = 1; comments.length < maxComments; page++) {
				const read = await json(
					request,
					`/issues/${number}/comments?per_page=${PAGE}&page=${page}`,
					z.array(commentSchema),
					'the pull request comments',
				)
				if (!read.ok) {
					return read
				}
				comments.push(...read.value.map((c) => ({ id: c.id, body: c.body ?? '' })))
				if (read.value.length < PAGE) {
					break
				}
			}
			return ok(comments.slice(0, maxComments))
		},
		async createComment(number, body) {
			const response = await request(`/issues/${number}/comments`, {
				method: 'POST',
				body: { body },
			})
			if (!response.ok) {
				return response
			}
			if (!response.value.ok) {
				return err(await failure(response.value, pullRequests))
			}
			const parsed = commentSchema.safeParse(await response.value.json())
			return parsed.success
				? ok({ id: parsed.data.id, body: parsed.data.body ?? '' })
				: err(unexpected('the new comment'))
		},
		async updateComment(id, body) {
			const response = await request(`/issues/comments/${id}`, { method: 'PATCH', body: { body } })
			if (!response.ok) {
				return response
			}
			return response.value.ok ? ok(undefined) : err(await failure(response.value, pullRequests))
		},
	}
}

async function json<T>(
	request: RepositoryRequest,
	path: string,
	schema: z.ZodType<T>,
	what: string,
): Promise<Result<T, ApiFailure>> {
	const response = await request(path)
	if (!response.ok) {
		return response
	}
	if (!response.value.ok) {
		return err(await failure(response.value, pullRequests))
	}
	const parsed = schema.safeParse(await response.value.json())
	return parsed.success ? ok(parsed.data) : err(unexpected(what))
}

function unexpected(what: string): ApiFailure {
	return {
		kind: 'rejected',
		retryable: false,
		message: `GitHub answered ${what} in an unexpected shape`,
	}
}
