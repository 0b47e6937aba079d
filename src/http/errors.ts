/**
 * @module The one error shape, `{"error": {"code", "message", "requestId", "details"?}}`: every
 * error answer of the Worker is built by `errorBody`, and every code is one of `ERROR_CODES`,
 * which the OpenAPI document lists.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/** The HTTP status of each error code. */
export const ERROR_STATUS = {
	bad_request: 400,
	unauthorized: 401,
	forbidden: 403,
	not_found: 404,
	method_not_allowed: 405,
	request_timeout: 408,
	conflict: 409,
	payload_too_large: 413,
	unsupported_media_type: 415,
	invalid_desired_state: 422,
	rate_limited: 429,
	internal: 500,
	unavailable: 503,
} as const satisfies Record<string, ContentfulStatusCode>

/** A machine-readable error code; each maps to exactly one HTTP status. */
export type ErrorCode = keyof typeof ERROR_STATUS

/** Every error code, for schemas and the OpenAPI document. */
export const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]

/** An expected failure that becomes an error answer. Unknown errors become a generic 500. */
export class AppError extends Error {
	readonly code: ErrorCode
	readonly details: unknown
	/** Extra response headers, e.g. `Retry-After` on a 429 or 503. */
	readonly headers: Record<string, string>
	constructor(
		code: ErrorCode,
		message: string,
		options: { details?: unknown; headers?: Record<string, string> } = {},
	) {
		super(message)
		this.name = 'AppError'
		this.code = code
		this.details = options.details
		this.headers = options.headers ?? {}
	}
	get status(): ContentfulStatusCode {
		return ERROR_STATUS[this.code]
	}
}

/** The body of every error answer. `details` only carries what is safe to show (e.g. located diagnostics). */
export interface ErrorEnvelope {
	error: { code: ErrorCode; message: string; requestId: string; details?: unknown }
}

/** Builds the body of an error answer; the request id lets a caller quote the matching log line. */
export function errorBody(
	code: ErrorCode,
	message: string,
	requestId: string,
	details?: unknown,
): ErrorEnvelope {
	return { error: { code, message, requestId, ...(details === undefined ? {} : { details }) } }
}

/** A JSON error answer with the status its code maps to. */
export function errorResponse(
	code: ErrorCode,
	message: string,
	requestId: string,
	options: { details?: unknown; headers?: Record<string, string> } = {},
): Response {
	const headers = new Headers(options.headers)
	headers.set('content-type', 'application/json')
	return new Response(JSON.stringify(errorBody(code, message, requestId, options.details)), {
		status: ERROR_STATUS[code],
		headers,
	})
}
