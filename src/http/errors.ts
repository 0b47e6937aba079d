/**
 * @module The one error envelope, `{"error": {"code", "message"}}`, and the status each code maps to.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status'

const STATUS = {
	bad_request: 400,
	unauthorized: 401,
	forbidden: 403,
	not_found: 404,
	method_not_allowed: 405,
	conflict: 409,
	payload_too_large: 413,
	unsupported_media_type: 415,
	invalid_desired_state: 422,
	rate_limited: 429,
	internal: 500,
	unavailable: 503,
} as const satisfies Record<string, ContentfulStatusCode>

/** A machine-readable error code; each maps to exactly one HTTP status. */
export type ErrorCode = keyof typeof STATUS

/** An expected failure that becomes an error envelope. Unknown errors become a generic 500. */
export class AppError extends Error {
	readonly code: ErrorCode
	readonly details: unknown
	constructor(code: ErrorCode, message: string, details?: unknown) {
		super(message)
		this.name = 'AppError'
		this.code = code
		this.details = details
	}
	get status(): ContentfulStatusCode {
		return STATUS[this.code]
	}
}

/** The body of every error answer. `details` only carries what is safe to show (e.g. located diagnostics). */
export interface ErrorEnvelope {
	error: { code: ErrorCode; message: string; requestId?: string; details?: unknown }
}

/** Builds an error body. */
export function errorEnvelope(
	code: ErrorCode,
	message: string,
	extra: { requestId?: string; details?: unknown } = {},
): ErrorEnvelope {
	return { error: { code, message, ...extra } }
}

/** The HTTP status for a code. */
export const statusOf = (code: ErrorCode): ContentfulStatusCode => STATUS[code]
