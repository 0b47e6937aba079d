/**
 * @module The one capped body reader: reads a whole WebStreams body (a Request's, a Response's, or
 * a Node stream turned into one with `Readable.toWeb`) while refusing past a byte cap. A declared
 * length over the cap is refused before a byte is read; a body without one is counted as it
 * streams and cancelled the moment it passes the cap, so an oversized body is never buffered
 * whole. WebStreams only: the Worker (workerd), the CLI and the agent (Node) all run this file.
 */
import { err, ok, type Result } from './result.ts'

/** Why a body could not be read whole. */
export type CappedReadFailure =
	| { kind: 'too_large'; limit: number }
	| { kind: 'unreadable'; message: string; cause: unknown }

/** True when a `Content-Length` value declares more than `limit` bytes. */
export function declaresMoreThan(contentLength: string | null | undefined, limit: number): boolean {
	return (
		typeof contentLength === 'string' &&
		/^\d+$/.test(contentLength) &&
		Number(contentLength) > limit
	)
}

/**
 * Reads `body` whole, at most `limit` bytes. `contentLength` is the declared length, if any;
 * `signal` stops the read, also while a chunk is awaited (its reason becomes the failure's `cause`).
 */
export async function readCapped(
	body: ReadableStream<Uint8Array> | null,
	limit: number,
	options: { contentLength?: string | null | undefined; signal?: AbortSignal | undefined } = {},
): Promise<Result<Uint8Array, CappedReadFailure>> {
	if (declaresMoreThan(options.contentLength, limit)) {
		await body?.cancel().catch(() => {})
		return err({ kind: 'too_large', limit })
	}
	if (!body) {
		return ok(new Uint8Array())
	}
	const reader = body.getReader()
	const chunks: Uint8Array[] = []
	let size = 0
	// A read that never completes (a sender that stalls) must not outlast the signal either.
	const stopped = options.signal ? abortion(options.signal) : undefined
	try {
		for (;;) {
			if (options.signal?.aborted) {
				throw options.signal.reason
			}
			const { done, value } = await (stopped
				? Promise.race([reader.read(), stopped])
				: reader.read())
			if (done) {
				break
			}
			size += value.byteLength
			if (size > limit) {
				await reader.cancel().catch(() => {})
				return err({ kind: 'too_large', limit })
			}
			chunks.push(value)
		}
	} catch (cause) {
		await reader.cancel().catch(() => {})
		return err({
			kind: 'unreadable',
			message: cause instanceof Error ? cause.message : String(cause),
			cause,
		})
	}
	const bytes = new Uint8Array(size)
	let offset = 0
	for (const chunk of chunks) {
		bytes.set(chunk, offset)
		offset += chunk.byteLength
	}
	return ok(bytes)
}

/** A promise that rejects with the signal's reason when it aborts (never otherwise). */
function abortion(signal: AbortSignal): Promise<never> {
	const { promise, reject } = Promise.withResolvers<never>()
	if (signal.aborted) {
		reject(signal.reason)
	} else {
		signal.addEventListener('abort', () => reject(signal.reason), { once: true })
	}
	// Raced against each read; a rejection after the last read is nobody's to handle.
	promise.catch(() => {})
	return promise
}
