/**
 * @module The agent's HTTP server on node:http. Order of checks on `POST /v1/check`: method,
 * media type, body size (413 before reading more than the cap), signature and replay (401),
 * then JSON and schema (400). `GET /healthz` needs no signature and says nothing internal.
 */
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import {
	AGENT_CHECK_PATH,
	AGENT_HEALTH_PATH,
	AGENT_MAX_SKEW_SECONDS,
	AGENT_SIGNATURE_HEADER,
	AGENT_TIMESTAMP_HEADER,
	agentCheckRequestSchema,
	verifyAgentRequest,
} from '../../src/contracts/agent.ts'
import { readCapped } from '../../src/lib/read-capped.ts'
import { addressPolicy } from './addresses.ts'
import { type CheckContext, runCheck } from './check.ts'
import type { AgentConfig } from './config.ts'
import type { Logger } from './log.ts'
import { ReplayCache } from './replay.ts'
import { Semaphore } from './semaphore.ts'

/** The running server and how to stop it. */
export interface AgentServer {
	server: Server
	/** Stops accepting, lets in-flight requests finish; resolves when all are done. */
	shutdown(): Promise<void>
}

type ErrorCode =
	| 'bad_request'
	| 'unauthorized'
	| 'not_found'
	| 'method_not_allowed'
	| 'payload_too_large'
	| 'unsupported_media_type'
	| 'unavailable'
	| 'internal'

const STATUS: Record<ErrorCode, number> = {
	bad_request: 400,
	unauthorized: 401,
	not_found: 404,
	method_not_allowed: 405,
	payload_too_large: 413,
	unsupported_media_type: 415,
	unavailable: 503,
	internal: 500,
}

class HttpError extends Error {
	readonly code: ErrorCode
	constructor(code: ErrorCode, message: string) {
		super(message)
		this.code = code
	}
}

function sendJson(
	res: ServerResponse,
	status: number,
	body: unknown,
	extra: Record<string, string> = {},
): void {
	const text = JSON.stringify(body)
	res.writeHead(status, {
		'content-type': 'application/json; charset=utf-8',
		'content-length': Buffer.byteLength(text),
		'cache-control': 'no-store',
		...extra,
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
async function readBody(req: IncomingMessage, max: number): Promise<Uint8Array> {
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

/** Starts listening; resolves once the port is bound. */
export async function startServer(config: AgentConfig, log: Logger): Promise<AgentServer> {
	const replay = new ReplayCache({ maxEntries: 50_000, windowSeconds: AGENT_MAX_SKEW_SECONDS })
	const ctx: CheckContext = {
		config,
		log,
		probes: new Semaphore(config.maxConcurrency),
		addresses: addressPolicy(config.allowedAddresses),
		peerNames: new Map(),
	}
	let stopping = false
	const pruner = setInterval(() => replay.prune(Math.floor(Date.now() / 1000)), 60_000)
	pruner.unref()

	async function check(req: IncomingMessage, res: ServerResponse, path: string, t0: number) {
		const type = req.headers['content-type'] ?? ''
		if (!/^application\/json\s*(;|$)/i.test(type)) {
			throw new HttpError('unsupported_media_type', 'content-type must be application/json')
		}
		const raw = await readBody(req, config.maxBodyBytes)
		const now = Math.floor(Date.now() / 1000)
		const auth = await verifyAgentRequest({
			secrets: config.secrets,
			method: 'POST',
			path,
			body: raw,
			timestamp: req.headers[AGENT_TIMESTAMP_HEADER] as string | undefined,
			signature: req.headers[AGENT_SIGNATURE_HEADER] as string | undefined,
			nowSeconds: now,
		})
		if (!auth.ok) {
			const message = {
				missing: 'missing X-Tidegate-Timestamp or X-Tidegate-Signature',
				malformed: 'malformed X-Tidegate-Timestamp or X-Tidegate-Signature',
				stale: `timestamp more than ${AGENT_MAX_SKEW_SECONDS} s from the agent's clock`,
				'bad-signature': 'signature does not match',
			}[auth.reason]
			log.log('warn', 'auth-refused', { reason: auth.reason, remote: req.socket.remoteAddress })
			throw new HttpError('unauthorized', message)
		}
		const seen = replay.remember(auth.signature, auth.timestamp, now)
		if (seen === 'replay') {
			log.log('warn', 'auth-refused', { reason: 'replay', remote: req.socket.remoteAddress })
			throw new HttpError('unauthorized', 'signature already used')
		}
		if (seen === 'full') {
			throw new HttpError('unavailable', 'too many requests in the replay window')
		}
		let json: unknown
		try {
			json = JSON.parse(new TextDecoder().decode(raw))
		} catch {
			throw new HttpError('bad_request', 'body is not valid JSON')
		}
		const parsed = agentCheckRequestSchema.safeParse(json)
		if (!parsed.success) {
			const issue = parsed.error.issues[0]
			throw new HttpError(
				'bad_request',
				`${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`,
			)
		}
		if (parsed.data.targets.length > config.maxTargets) {
			throw new HttpError('bad_request', `targets: at most ${config.maxTargets} per request`)
		}
		const request = {
			...parsed.data,
			timeoutMs: parsed.data.timeoutMs ?? config.defaultTimeoutMs,
			requestId: parsed.data.requestId ?? randomUUID(),
		}
		const answer = await runCheck(ctx, request)
		sendJson(res, 200, answer, stopping ? { connection: 'close' } : {})
		log.log('info', 'check', {
			requestId: request.requestId,
			fanout: request.fanout !== false,
			targets: request.targets.length,
			nodes: answer.nodes.length,
			unreachable: answer.nodes.filter((n) => !n.reachable).length,
			failed: answer.nodes.reduce((sum, n) => sum + n.results.filter((r) => !r.ok).length, 0),
			durationMs: Math.round(performance.now() - t0),
		})
	}

	async function handle(req: IncomingMessage, res: ServerResponse) {
		const t0 = performance.now()
		const path = req.url ?? '/'
		const pathname = path.split('?')[0]
		try {
			if (pathname === AGENT_HEALTH_PATH) {
				if (req.method !== 'GET' && req.method !== 'HEAD') {
					throw new HttpError('method_not_allowed', 'use GET')
				}
				sendJson(res, stopping ? 503 : 200, { status: stopping ? 'stopping' : 'ok' })
				return
			}
			if (pathname === AGENT_CHECK_PATH) {
				if (req.method !== 'POST') {
					res.setHeader('allow', 'POST')
					throw new HttpError('method_not_allowed', 'use POST')
				}
				await check(req, res, path, t0)
				return
			}
			throw new HttpError('not_found', 'no such endpoint')
		} catch (error) {
			const known = error instanceof HttpError ? error : null
			if (!known) {
				log.log('error', 'internal-error', {
					message: error instanceof Error ? error.message : String(error),
				})
			}
			const code = known?.code ?? 'internal'
			if (res.headersSent) {
				res.destroy()
				return
			}
			// After a 413 the rest of the body is not read: close instead of draining it.
			const close: Record<string, string> =
				code === 'payload_too_large' || stopping ? { connection: 'close' } : {}
			sendJson(
				res,
				STATUS[code],
				{ error: { code, message: known?.message ?? 'internal error' } },
				close,
			)
			if (code !== 'not_found') {
				log.log('info', 'refused', {
					method: req.method,
					path: pathname,
					status: STATUS[code],
					code,
				})
			}
		}
	}

	const server = createServer(
		{ requestTimeout: 120_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 },
		(req, res) => {
			void handle(req, res)
		},
	)
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject)
		server.listen(config.port, config.host, () => {
			server.off('error', reject)
			resolve()
		})
	})

	return {
		server,
		shutdown() {
			stopping = true
			clearInterval(pruner)
			return new Promise<void>((resolve) => {
				server.close(() => resolve())
				server.closeIdleConnections()
			})
		},
	}
}
