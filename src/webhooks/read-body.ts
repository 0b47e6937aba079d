/**
 * @module Reads a webhook's request body with a byte cap and a deadline, before anything parses
 * it, through the one capped reader (src/lib/read-capped.ts): a declared Content-Length over the
 * cap is refused without reading, a chunked body is refused as soon as it passes the cap, and a body
 * that trickles in (a slow-drip sender holding the request open) is dropped at the deadline.
 */
import { readCapped } from '../lib/read-capped.ts'
import { err, ok, type Result } from '../lib/result.ts'

/** The default webhook body cap: 1 MiB. */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024

/**
 * How long a webhook body may take to arrive. GitHub and Flux send a body of at most a megabyte
 * at once; GitHub gives up on an answer after 10 s anyway, so a slower body is not a real sender.
 */
export const WEBHOOK_READ_TIMEOUT_MS = 5_000

/** Why a body could not be read. */
export type BodyFailure =
	| { kind: 'too_large'; limit: number }
	| { kind: 'too_slow'; timeoutMs: number }
	| { kind: 'unreadable'; message: string }

/** Reads at most `limit` bytes of the body, all of it within `timeoutMs`. */
export async function readBodyCapped(
	request: Request,
	limit: number,
	timeoutMs = WEBHOOK_READ_TIMEOUT_MS,
): Promise<Result<Uint8Array, BodyFailure>> {
	const deadline = AbortSignal.timeout(timeoutMs)
	const read = await readCapped(request.body, limit, {
		contentLength: request.headers.get('content-length'),
		signal: deadline,
	})
	if (read.ok) {
		return ok(read.value)
	}
	if (read.error.kind === 'too_large') {
		return err(read.error)
	}
	return err(
		deadline.aborted
			? { kind: 'too_slow', timeoutMs }
			: { kind: 'unreadable', message: read.error.message },
	)
}

/** True for `application/json`, with or without parameters such as `charset=utf-8`. */
export function isJsonContentType(value: string | null): boolean {
	return value !== null && /^application\/json\s*(;|$)/i.test(value.trim())
}

/** Parses bytes as UTF-8 JSON; the error says why in the sender's terms. */
export function parseJsonBytes(body: Uint8Array): Result<unknown, string> {
	try {
		return ok(JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(body)))
	} catch (e) {
		return err(`the body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`)
	}
}
