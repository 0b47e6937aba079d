/**
 * @module One way to call GitHub's REST API for the repository adapters: the headers, a timeout,
 * the call recorded on the run, network failures as retryable, and non-2xx answers classified,
 * naming the token permission the call needs when GitHub refuses the token.
 */
import type { ApiCallLog, ApiFailure } from '../../domain/ports.ts'
import { err, ok, type Result } from '../../lib/result.ts'
import { apiFailure, failureKind, type HttpFailureKind } from '../http-failure.ts'
import { recordingFetch } from '../recording-fetch.ts'

/** Per-request timeout; GitHub answers these in well under a second when healthy. */
export const GITHUB_TIMEOUT_MS = 10_000

/** What the repository adapters need. */
export interface GitHubOptions {
	baseUrl: string
	token: string
	/** `owner/name`. */
	repository: string
	calls: ApiCallLog
	fetch?: typeof fetch
}

/** A request under `/repos/{owner}/{name}`: JSON in and out unless `accept` says otherwise. */
export type RepositoryRequest = (
	path: string,
	init?: { method?: string; body?: unknown; accept?: string },
) => Promise<Result<Response, ApiFailure>>

/** Builds the request function of one repository; network failures and timeouts come back retryable. */
export function repositoryRequest(options: GitHubOptions): RepositoryRequest {
	const send = recordingFetch('github', options.calls, options.fetch ?? fetch, {
		timeoutMs: GITHUB_TIMEOUT_MS,
	})
	const base = `${options.baseUrl.replace(/\/$/, '')}/repos/${options.repository}`
	return async (path, init = {}) => {
		try {
			return ok(
				await send(`${base}${path}`, {
					method: init.method ?? 'GET',
					headers: {
						accept: init.accept ?? 'application/vnd.github+json',
						authorization: `Bearer ${options.token}`,
						'user-agent': 'tidegate',
						'x-github-api-version': '2022-11-28',
						...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
					},
					...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
				}),
			)
		} catch (e) {
			return err({
				kind: 'unavailable',
				retryable: true,
				message: `GitHub API unreachable: ${e instanceof Error ? e.message : String(e)}`,
			})
		}
	}
}

/** Classifies a non-2xx GitHub answer; `permission` is what the call needs of GITHUB_TOKEN. */
export async function failure(response: Response, permission: string): Promise<ApiFailure> {
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
	const kind = failureKind(status, {
		rateLimited: status === 403 && (retryAfter !== null || remaining === '0'),
	})
	if (kind === 'rate_limited') {
		const reset = Number(response.headers.get('x-ratelimit-reset'))
		const retryAfterSeconds =
			retryAfter !== null && /^\d+$/.test(retryAfter)
				? Number(retryAfter)
				: Number.isFinite(reset) && reset > 0
					? Math.max(1, Math.ceil(reset - Date.now() / 1000))
					: 60
		return apiFailure(kind, `GitHub rate limit (${status}): ${message}`, {
			status,
			retryAfterSeconds,
		})
	}
	const messages: Record<Exclude<HttpFailureKind, 'rate_limited'>, string> = {
		auth: `GITHUB_TOKEN was refused (${status}: ${message}); it needs ${permission} on the repository`,
		not_found: `GitHub answered 404: ${message}`,
		unavailable: `GitHub answered ${status}: ${message}`,
		rejected: `GitHub rejected the request (${status}): ${message}`,
	}
	return apiFailure(kind, messages[kind], { status })
}
