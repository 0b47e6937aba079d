/**
 * @module Reads a request body with a byte cap, before anything parses it. A declared
 * Content-Length over the cap is refused without reading; a chunked body is counted as it streams
 * and refused as soon as it passes the cap, so a huge body is never buffered whole.
 */
import { err, ok, type Result } from '../lib/result.ts'

/** The default webhook body cap (DESIGN.md): 1 MiB. */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024

/** Why a body could not be read. */
export type BodyFailure =
	| { kind: 'too_large'; limit: number }
	| { kind: 'unreadable'; message: string }

/** True when the request declares a body larger than `limit`. */
export function declaredTooLarge(request: Request, limit: number): boolean {
	const declared = request.headers.get('content-length')
	return declared !== null && /^\d+$/.test(declared) && Number(declared) > limit
}

/** Reads at most `limit` bytes of the body. */
export async function readBodyCapped(
	request: Request,
	limit: number,
): Promise<Result<Uint8Array, BodyFailure>> {
	if (declaredTooLarge(request, limit)) {
		return err({ kind: 'too_large', limit })
	}
	if (!request.body) {
		return ok(new Uint8Array())
	}
	const reader = request.body.getReader()
	const chunks: Uint8Array[] = []
	let size = 0
	try {
		for (;;) {
			const { done, value } = await reader.read()
			if (done) {
				break
			}
			size += value.byteLength
			if (size > limit) {
				await reader.cancel()
				return err({ kind: 'too_large', limit })
			}
			chunks.push(value)
		}
	} catch (e) {
		return err({ kind: 'unreadable', message: e instanceof Error ? e.message : String(e) })
	}
	const body = new Uint8Array(size)
	let offset = 0
	for (const chunk of chunks) {
		body.set(chunk, offset)
		offset += chunk.byteLength
	}
	return ok(body)
}

/** True for `application/json`, with or without parameters such as `charset=utf-8`. */
export function isJsonContentType(value: string | null): boolean {
	return value !== null && /^application\/json\s*(;|$)/i.test(value.trim())
}
