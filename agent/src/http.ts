/**
 * @module The agent's HTTP plumbing on node:http: the error envelope, JSON answers (signed when
 * the request was authenticated), and reading a request body through the shared capped reader.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import {
	AGENT_RESPONSE_SIGNATURE_HEADER,
	signAgentResponse,
} from '../../src/contracts/agent-signing.ts'
import { readCapped } from '../../src/lib/read-capped.ts'

/** The error codes the agent answers with (`{"error": {"code", "message"}}`). */
export type ErrorCode =
	| 'bad_request'
	| 'unauthorized'
	| 'not_found'
	| 'method_not_allowed'
	| 'payload_too_large'
	| 'unsupported_media_type'
	| 'unavailable'
	| 'internal'

/** The HTTP status of each error code. */
export const STATUS: Record<ErrorCode, number> = {
	bad_request: 400,
	unauthorized: 401,
	not_found: 404,
	method_not_allowed: 405,
	payload_too_large: 413,
	unsupported_media_type: 415,
	unavailable: 503,
	internal: 500,
}

/** An expected refusal, answered with its code. */
export class HttpError extends Error {
	readonly code: ErrorCode
	constructor(code: ErrorCode, message: string) {
		super(message)
		this.code = code
	}
}

/** What signs the answer to an authenticated request: its signature and the secret that made it. */
export interface AnswerKey {
	requestSignature: string
	secret: string
}

/** Sends a JSON answer; with `key`, signed (X-Tidegate-Response-Signature). */
export async function sendJson(
	res: ServerResponse,
	status: number,
	body: unknown,
	options: { key?: AnswerKey | undefined; headers?: Record<string, string> } = {},
): Promise<void> {
	const text = JSON.stringify(body)
	const signature = options.key
		? {
				[AGENT_RESPONSE_SIGNATURE_HEADER]: await signAgentResponse({
					...options.key,
					status,
					body: text,
				}),
			}
		: {}
	res.writeHead(status, {
		'content-type': 'application/json; charset=utf-8',
		'content-length': Buffer.byteLength(text),
		'cache-control': 'no-store',
		...signature,
		...options.headers,
	})
	res.end(text)
}

/**
 * The request body as a web stream for the shared capped reader. Cancelling it stops reading but
 * keeps the socket (unlike `Readable.toWeb`, whose cancel destroys it), so a 413 can still be
 * sent before the connection is closed.
 */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
	let open = true
	return new ReadableStream<Uint8Array>({
		start(controller) {
			req.on('data', (chunk: Buffer) => {
				if (open) {
					controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
					if ((controller.desiredSize ?? 0) <= 0) {
						req.pause()
					}
				}
			})
			req.once('end', () => {
				if (open) {
					open = false
					controller.close()
				}
			})
			req.once('error', (error) => {
				if (open) {
					open = false
					controller.error(error)
				}
			})
		},
		pull() {
			req.resume()
		},
		cancel() {
			open = false
			req.pause()
		},
	})
}

/** Reads the body, failing with 413 as soon as it passes `max` bytes. */
export async function readBody(req: IncomingMessage, max: number): Promise<Uint8Array> {
	const read = await readCapped(bodyStream(req), max, {
		contentLength: req.headers['content-length'],
	})
	if (read.ok) {
		return read.value
	}
	if (read.error.kind === 'too_large') {
		throw new HttpError('payload_too_large', `body over ${max} bytes`)
	}
	throw read.error.cause
}
