/**
 * @module The GitOps repository over GitHub's REST API: branch head, file at a commit, commit
 * statuses, changed files (compare). Plain fetch: a few endpoints do not justify Octokit's weight
 * in the Worker bundle.
 */
import { z } from 'zod'
import { MAX_DESIRED_STATE_BYTES } from '../../domain/desired-state/load.ts'
import type { BoundedFile, RepositoryApi } from '../../domain/github/ports.ts'
import type { ApiCallLog, ApiFailure } from '../../domain/ports.ts'
import { err, ok, type Result } from '../../lib/result.ts'
import { recordingFetch } from '../recording-fetch.ts'

/** Per-request timeout; GitHub answers these in well under a second when healthy. */
export const GITHUB_TIMEOUT_MS = 10_000

/** What the repository adapter needs. */
export interface GitHubOptions {
	baseUrl: string
	token: string
	/** `owner/name`. */
	repository: string
	calls: ApiCallLog
	fetch?: typeof fetch
}

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
	const send = recordingFetch('github', options.calls, options.fetch ?? fetch)
	const base = `${options.baseUrl.replace(/\/$/, '')}/repos/${options.repository}`
	const request = (path: string, init: RequestInit & { accept?: string } = {}) =>
		send(`${base}${path}`, {
			...init,
			headers: {
				accept: init.accept ?? 'application/vnd.github+json',
				authorization: `Bearer ${options.token}`,
				'user-agent': 'tidegate',
				'x-github-api-version': '2022-11-28',
				...(init.body ? { 'content-type': 'application/json' } : {}),
			},
			signal: AbortSignal.timeout(GITHUB_TIMEOUT_MS),
		})

	const api: RepositoryApi = {
		async branchHead(branch) {
			const response = await attempt(() => request(`/git/ref/heads/${encodePath(branch)}`))
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
				return err(await failure(response.value))
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
			const response = await attempt(() =>
				request(`/statuses/${commitSha}`, {
					method: 'POST',
					body: JSON.stringify({
						state: status.state,
						context: status.context,
						// GitHub refuses descriptions over 140 characters.
						description: truncate(status.description, 140),
						...(status.targetUrl ? { target_url: status.targetUrl } : {}),
					}),
				}),
			)
			if (!response.ok) {
				return response
			}
			return response.value.ok ? ok(undefined) : err(await failure(response.value))
		},
		async listHookDeliveries(hookId, perPage) {
			const response = await attempt(() =>
				request(`/hooks/${encodeURIComponent(hookId)}/deliveries?per_page=${perPage}`),
			)
			if (!response.ok) {
				return response
			}
			if (!response.value.ok) {
				return err(await failure(response.value))
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
			const response = await attempt(() =>
				request(`/hooks/${encodeURIComponent(hookId)}/deliveries/${attemptId}/attempts`, {
					method: 'POST',
				}),
			)
			if (!response.ok) {
				return response
			}
			return response.value.ok ? ok(undefined) : err(await failure(response.value))
		},
		async changedFiles(base, head) {
			// `per_page=1`: the file list comes whole on the first page, so one small commit page suffices.
			const path =
				base === null
					? `/commits/${encodeURIComponent(head)}`
					: `/compare/${encodeURIComponent(base)}...${encodeURIComponent(head)}?per_page=1`
			const response = await attempt(() => request(path))
			if (!response.ok) {
				return response
			}
			if (!response.value.ok) {
				return err(await failure(response.value))
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
			const response = await attempt(() =>
				request(`/contents/${encodePath(path)}?ref=${commitSha}`, {
					accept: 'application/vnd.github.raw+json',
				}),
			)
			if (!response.ok) {
				return response
			}
			if (response.value.status === 404) {
				return ok(null)
			}
			if (!response.value.ok) {
				return err(await failure(response.value))
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

/** Network failures and timeouts are retryable; they are never "file missing". */
async function attempt(call: () => Promise<Response>): Promise<Result<Response, ApiFailure>> {
	try {
		return ok(await call())
	} catch (e) {
		return err({
			kind: 'unavailable',
			retryable: true,
			message: `GitHub API unreachable: ${e instanceof Error ? e.message : String(e)}`,
		})
	}
}

/** Classifies a non-2xx GitHub answer. */
export async function failure(response: Response): Promise<ApiFailure> {
	const status = response.status
	const body = await response.text()
	let message = body.slice(0, 200)
	try {
		message = (JSON.parse(body) as { message?: string }).message ?? message
	} catch {
		// Not JSON (an HTML error page): keep the start of the text.
	}
	const retryAfter = response.headers.get('retry-after')
	const remaining = response.headers.get('x-ratelimit-remaining')
	if (status === 429 || (status === 403 && (retryAfter !== null || remaining === '0'))) {
		const reset = Number(response.headers.get('x-ratelimit-reset'))
		const retryAfterSeconds =
			retryAfter !== null && /^\d+$/.test(retryAfter)
				? Number(retryAfter)
				: Number.isFinite(reset) && reset > 0
					? Math.max(1, Math.ceil(reset - Date.now() / 1000))
					: 60
		return {
			kind: 'rate_limited',
			retryable: true,
			status,
			retryAfterSeconds,
			message: `GitHub rate limit (${status}): ${message}`,
		}
	}
	if (status === 401 || status === 403) {
		return {
			kind: 'auth',
			retryable: false,
			status,
			message: `GITHUB_TOKEN was refused (${status}: ${message}); it needs Contents: read, Commit statuses: write and Webhooks: read and write on the repository`,
		}
	}
	if (status === 404) {
		return {
			kind: 'not_found',
			retryable: false,
			status,
			message: `GitHub answered 404: ${message}`,
		}
	}
	if (status >= 500) {
		return {
			kind: 'unavailable',
			retryable: true,
			status,
			message: `GitHub answered ${status}: ${message}`,
		}
	}
	return {
		kind: 'rejected',
		retryable: false,
		status,
		message: `GitHub rejected the request (${status}): ${message}`,
	}
}

function encodePath(path: string): string {
	return path.split('/').map(encodeURIComponent).join('/')
}

function truncate(text: string, max: number): string {
	return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}
