/**
 * @module The one table from an outside API's HTTP status to a failure kind, and whether the
 * queue retries it. The Cloudflare and GitHub adapters classify with it and word the message.
 */
import type { ApiFailure } from '../domain/ports.ts'

/** The kinds an HTTP answer can be classified as. */
export type HttpFailureKind = Exclude<ApiFailure['kind'], 'unreadable'>

/** Whether the queue retries each kind: only what may pass by waiting. */
const RETRYABLE: Record<ApiFailure['kind'], boolean> = {
	rate_limited: true,
	unavailable: true,
	auth: false,
	not_found: false,
	rejected: false,
	unreadable: false,
}

/**
 * Classifies a non-2xx status. `rateLimited` and `authRefused` are what the API says besides the
 * status (GitHub's rate limit arrives as a 403 with rate-limit headers; Cloudflare calls a
 * malformed token a 400 with error 6003).
 */
export function failureKind(
	status: number,
	signals: { rateLimited?: boolean; authRefused?: boolean } = {},
): HttpFailureKind {
	if (status === 429 || signals.rateLimited) {
		return 'rate_limited'
	}
	if (status === 401 || status === 403 || signals.authRefused) {
		return 'auth'
	}
	if (status === 404) {
		return 'not_found'
	}
	return status >= 500 ? 'unavailable' : 'rejected'
}

/** A failure of `kind`, retryable as the table says. */
export function apiFailure(
	kind: ApiFailure['kind'],
	message: string,
	extra: { status?: number; retryAfterSeconds?: number } = {},
): ApiFailure {
	return { kind, retryable: RETRYABLE[kind], message, ...extra }
}
