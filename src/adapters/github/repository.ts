/**
 * @module The GitOps repository over GitHub's REST API: branch head, file at a commit, commit
 * statuses, changed files (compare). Plain fetch: a few endpoints do not justify Octokit's weight
 * in the Worker bundle.
 */
import * as z from 'zod'
import { MAX_DESIRED_STATE_BYTES } from '../../domain/desired-state/load.ts'
import {
	type BoundedFile,
	GITHUB_PERMISSIONS,
	type RepositoryApi,
} from '../../domain/github/ports.ts'
import type { ApiFailure } from '../../domain/ports.ts'
import { err, ok, type Result } from '../../lib/result.ts'
import { failure, type GitHubOptions, repositoryRequest } from './request.ts'

export type { GitHubOptions } from './request.ts'

const { contents, statuses, webhooks } = GITHUB_PERMISSIONS

const deliveriesSchema = z.array(
	z.looseObject({
		id: z.number().int(),
		guid: z.string(),
		delivered_at: z.string(),
		redelivery: z.boolean().default(false),
		status_code: z.number().int().default(0),
		event: z.string().default(''),
	}),
)

const refSchema = z.looseObject({
	object: z.looseObject({ sha: z.string().regex(/^[0-9a-f]{40}$/) }),
})

/** RepositoryApi over GitHub REST. */
export function gitHubRepository(options: GitHubOptions): RepositoryApi {
	const request = repositoryRequest(options)

	const api: RepositoryApi = {
		async branchHead(branch) {
			const response = await request(`/git/ref/heads/${encodePath(branch)}`)
			if (!response.ok) {
				return response
			}
			if (response.value.status === 404) {
				return err({
					kind: 'not_found',
					retryable: false,
					status: 404,
					message: `branch "${branch}" does not exist in ${options.repository}`,
				})
			}
			if (!response.value.ok) {
				return err(await failure(response.value, contents))
			}
			const parsed = refSchema.safeParse(await response.value.json())
			return parsed.success
				? ok(parsed.data.object.sha)
				: err({
						kind: 'rejected',
						retryable: false,
						message: 'GitHub answered the branch ref without a commit sha',
					})
		},
		async readFile(path, commitSha) {
			const file = await api.readFileBounded(path, commitSha, MAX_DESIRED_STATE_BYTES)
			if (!file.ok || file.value === null) {
				return file.ok ? ok(null) : file
			}
			if ('tooLarge' in file.value) {
				return err({
					kind: 'rejected',
					retryable: false,
					// 413: the file, not GitHub, is the problem (the reconcile reports it as an invalid file).
					status: 413,
					message: `${path} is larger than ${MAX_DESIRED_STATE_BYTES} bytes (${MAX_DESIRED_STATE_BYTES / 1024} KiB), the limit for a desired-state file`,
				})
			}
			return ok(file.value.text)
		},
		async postStatus(commitSha, status) {
			const response = await request(`/statuses/${commitSha}`, {
				method: 'POST',
				body: {
					state: status.state,
					context: status.context,
					// GitHub refuses descriptions over 140 characters.
					description: truncate(status.description, 140),
					...(status.targetUrl ? { target_url: status.targetUrl } : {}),
				},
			})
			if (!response.ok) {
				return response
			}
			return response.value.ok ? ok(undefined) : err(await failure(response.value, statuses))
		},
		async listHookDeliveries(hookId, perPage) {
			const response = await request(
				`/hooks/${encodeURIComponent(hookId)}/deliveries?per_page=${perPage}`,
			)
			if (!response.ok) {
				return response
			}
			if (!response.value.ok) {
				return err(await failure(response.value, webhooks))
			}
			const parsed = deliveriesSchema.safeParse(await response.value.json())
			if (!parsed.success) {
				return err({
					kind: 'rejected',
					retryable: false,
					message: 'GitHub answered the hook deliveries in an unexpected shape',
				})
			}
			return ok(
				parsed.data.map((d) => ({
					id: d.id,
					guid: d.guid,
					deliveredAt: Date.parse(d.delivered_at),
					redelivery: d.redelivery,
					statusCode: d.status_code,
					event: d.event,
				})),
			)
		},
		async redeliver(hookId, attemptId) {
			const response = await request(
				`/hooks/${encodeURIComponent(hookId)}/deliveries/${attemptId}/attempts`,
				{ method: 'POST' },
			)
			if (!response.ok) {
				return response
			}
			return response.value.ok ? ok(undefined) : err(await failure(response.value, webhooks))
		},
		async changedFiles(base, head) {
			// `per_page=1`: the file list comes whole on the first page, so one small commit page suffices.
			const path =
				base === null
					? `/commits/${encodeURIComponent(head)}`
					: `/compare/${encodeURIComponent(base)}...${encodeURIComponent(head)}?per_page=1`
			const response = await request(path)
			if (!response.ok) {
				return response
			}
			if (!response.value.ok) {
				return err(await failure(response.value, contents))
			}
			const parsed = changedFilesSchema.safeParse(await response.value.json())
			if (!parsed.success) {
				return err({
					kind: 'rejected',
					retryable: false,
					message: `GitHub answered ${base === null ? 'the commit' : 'the comparison'} without a usable file list`,
				})
			}
			return ok({
				files: parsed.data.files.map((f) => ({ path: f.filename, status: f.status })),
				truncated: parsed.data.files.length >= GITHUB_MAX_LISTED_FILES,
			})
		},
		async readFileBounded(path, commitSha, maxBytes) {
			const response = await request(`/contents/${encodePath(path)}?ref=${commitSha}`, {
				accept: 'application/vnd.github.raw+json',
			})
			if (!response.ok) {
				return response
			}
			if (response.value.status === 404) {
				return ok(null)
			}
			if (!response.value.ok) {
				return err(await failure(response.value, contents))
			}
			return readBounded(response.value, maxBytes)
		},
	}
	return api
}

/** GitHub lists at most this many files in a comparison (and per page of a commit). */
export const GITHUB_MAX_LISTED_FILES = 300

const changedFilesSchema = z.looseObject({
	files: z
		.array(
			z.looseObject({
				filename: z.string().min(1),
				status: z.enum([
					'added',
					'removed',
					'modified',
					'renamed',
					'copied',
					'changed',
					'unchanged',
				]),
			}),
		)
		.default([]),
})

/** Reads a body up to `maxBytes`, and stops reading (never buffers) past it. */
async function readBounded(
	response: Response,
	maxBytes: number,
): Promise<Result<BoundedFile, ApiFailure>> {
	const declared = Number(response.headers.get('content-length'))
	if (Number.isFinite(declared) && declared > maxBytes) {
		await response.body?.cancel()
		return ok({ tooLarge: true, bytes: declared })
	}
	const reader = response.body?.getReader()
	const chunks: Uint8Array[] = []
	let total = 0
	try {
		for (;;) {
			const next = await reader?.read()
			if (!next || next.done) {
				break
			}
			total += next.value.byteLength
			if (total > maxBytes) {
				await reader?.cancel()
				return ok({ tooLarge: true, bytes: null })
			}
			chunks.push(next.value)
		}
	} catch (e) {
		return err({
			kind: 'unavailable',
			retryable: true,
			message: `GitHub API unreachable: ${e instanceof Error ? e.message : String(e)}`,
		})
	}
	const bytes = new Uint8Array(total)
	let offset = 0
	for (const chunk of chunks) {
		bytes.set(chunk, offset)
		offset += chunk.byteLength
	}
	return ok({ text: new TextDecoder().decode(bytes), bytes: total })
}

function encodePath(path: string): string {
	return path.split('/').map(encodeURIComponent).join('/')
}

function truncate(text: string, max: number): string {
	return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}
