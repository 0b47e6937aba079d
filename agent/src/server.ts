/**
 * @module The agent's HTTP server on node:http. Order of checks on `POST /v1/check`: connection
 * cap (503), method, media type, body size (413 before reading more than the cap), signature for
 * one of this agent's names and replay (401), then JSON and schema (400). Answers to an
 * authenticated request are signed. `GET /healthz` needs no signature and says nothing internal.
 *
 * A slow or flooding client cannot exhaust it: at most AGENT_MAX_CONNECTIONS connections are
 * served (the next ones get 503 and are closed; past twice that the kernel's connection is
 * dropped at once), and a request whose headers and body have not arrived within
 * AGENT_REQUEST_TIMEOUT_MS is answered 408 and closed (checked every second).
 */
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import {
	AGENT_CHECK_PATH,
	AGENT_HEALTH_PATH,
	agentCheckRequestSchema,
} from '../../src/contracts/agent.ts'
import {
	AGENT_MAX_SKEW_SECONDS,
	AGENT_SIGNATURE_HEADER,
	AGENT_TIMESTAMP_HEADER,
	type AgentAuthFailure,
	verifyAgentRequest,
} from '../../src/contracts/agent-signing.ts'
import { addressPolicy } from './addresses.ts'
import { type CheckContext, runCheck } from './check.ts'
import { type AgentConfig, acceptedHosts } from './config.ts'
import { egressIpSource } from './egress-ip.ts'
import { type AnswerKey, HttpError, readBody, STATUS, sendJson } from './http.ts'
import type { Logger } from './log.ts'
import { ReplayCache } from './replay.ts'
import { Semaphore } from './semaphore.ts'

/** The running server and how to stop it. */
export interface AgentServer {
	server: Server
	/** Stops accepting, lets in-flight requests finish; resolves when all are done. */
	shutdown(): Promise<void>
}

const AUTH_MESSAGES: Record<AgentAuthFailure, string> = {
	missing: 'missing X-Tidegate-Timestamp or X-Tidegate-Signature',
	malformed: 'malformed X-Tidegate-Timestamp or X-Tidegate-Signature',
	'old-scheme':
		'signature scheme v1 (sha256=) is no longer accepted: run the same tidegate version in the Worker and every agent',
	stale: `timestamp more than ${AGENT_MAX_SKEW_SECONDS} s from the agent's clock`,
	'bad-signature': "signature does not match (another secret, or signed for another agent's name)",
}

/** How often Node looks for requests past their time (its default is 30 s). */
const TIMEOUT_CHECK_INTERVAL_MS = 1000

/** Starts listening; resolves once the port is bound. */
export async function startServer(config: AgentConfig, log: Logger): Promise<AgentServer> {
	const replay = new ReplayCache({ maxEntries: 50_000, windowSeconds: AGENT_MAX_SKEW_SECONDS })
	const ctx: CheckContext = {
		config,
		log,
		probes: new Semaphore(config.maxConcurrency),
		addresses: addressPolicy(config.allowedAddresses),
		egressIp: egressIpSource({
			workerUrl: config.workerUrl,
			secrets: config.secrets,
			sourceAddress: config.sourceAddress,
			log,
		}),
		peerNames: new Map(),
	}
	let hosts: string[] = []
	let stopping = false
	const pruner = setInterval(() => replay.prune(Math.floor(Date.now() / 1000)), 60_000)
	pruner.unref()

	/** Remembers a signature as used: true if it was new. With no room left, refuses (503). */
	function remember(signature: string, timestamp: number, now: number): boolean {
		const seen = replay.remember(signature, timestamp, now)
		if (seen === 'full') {
			throw new HttpError('unavailable', 'too many requests in the replay window')
		}
		return seen === 'new'
	}

	async function check(
		req: IncomingMessage,
		res: ServerResponse,
		path: string,
		t0: number,
		setKey: (key: AnswerKey) => void,
	) {
		const type = req.headers['content-type'] ?? ''
		if (!/^application\/json\s*(;|$)/i.test(type)) {
			throw new HttpError('unsupported_media_type', 'content-type must be application/json')
		}
		const raw = await readBody(req, config.maxBodyBytes)
		const now = Math.floor(Date.now() / 1000)
		const auth = await verifyAgentRequest({
			secrets: config.secrets,
			hosts,
			method: 'POST',
			path,
			body: raw,
			timestamp: req.headers[AGENT_TIMESTAMP_HEADER] as string | undefined,
			signature: req.headers[AGENT_SIGNATURE_HEADER] as string | undefined,
			nowSeconds: now,
		})
		const remote = req.socket.remoteAddress
		if (!auth.ok) {
			log.log('warn', 'auth-refused', { reason: auth.reason, remote, host: req.headers.host })
			throw new HttpError('unauthorized', AUTH_MESSAGES[auth.reason])
		}
		if (!remember(auth.signature, auth.timestamp, now)) {
			log.log('warn', 'auth-refused', { reason: 'replay', remote })
			throw new HttpError('unauthorized', 'signature already used')
		}
		// From here on the caller holds the secret: every answer, errors included, is signed.
		setKey({ requestSignature: auth.signature, secret: auth.secret })
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
		const origin = parsed.data.origin
		if (origin) {
			// A peer fanning out a request it accepted: that request is spent here too (it may
			// already be, if it came here first; that is the replay this prevents).
			remember(origin.signature, origin.timestamp, now)
		}
		const request = {
			...parsed.data,
			timeoutMs: parsed.data.timeoutMs ?? config.defaultTimeoutMs,
			requestId: parsed.data.requestId ?? randomUUID(),
		}
		const answer = await runCheck(ctx, request, {
			signature: auth.signature,
			timestamp: auth.timestamp,
		})
		await sendJson(res, 200, answer, {
			key: { requestSignature: auth.signature, secret: auth.secret },
			headers: stopping ? { connection: 'close' } : {},
		})
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

	const overCap = new WeakSet<Socket>()
	let connections = 0

	async function handle(req: IncomingMessage, res: ServerResponse) {
		const t0 = performance.now()
		const path = req.url ?? '/'
		const pathname = path.split('?')[0]
		let key: AnswerKey | undefined
		try {
			if (overCap.has(req.socket)) {
				throw new HttpError(
					'unavailable',
					`more than ${config.maxConnections} connections open; try again shortly`,
				)
			}
			if (pathname === AGENT_HEALTH_PATH) {
				if (req.method !== 'GET' && req.method !== 'HEAD') {
					throw new HttpError('method_not_allowed', 'use GET')
				}
				await sendJson(res, stopping ? 503 : 200, { status: stopping ? 'stopping' : 'ok' })
				return
			}
			if (pathname === AGENT_CHECK_PATH) {
				if (req.method !== 'POST') {
					res.setHeader('allow', 'POST')
					throw new HttpError('method_not_allowed', 'use POST')
				}
				await check(req, res, path, t0, (k) => {
					key = k
				})
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
			// After a 413 the rest of the body is not read, and an over-cap connection is not
			// kept: close instead of draining.
			const close: Record<string, string> =
				code === 'payload_too_large' || overCap.has(req.socket) || stopping
					? { connection: 'close' }
					: {}
			await sendJson(
				res,
				STATUS[code],
				{ error: { code, message: known?.message ?? 'internal error' } },
				{ key, headers: close },
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
		{
			requestTimeout: config.requestTimeoutMs,
			headersTimeout: config.requestTimeoutMs,
			keepAliveTimeout: 5_000,
			connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
		},
		(req, res) => {
			void handle(req, res)
		},
	)
	// Past twice the cap, Node closes new connections at once without a word.
	server.maxConnections = config.maxConnections * 2
	server.prependListener('connection', (socket: Socket) => {
		connections++
		socket.once('close', () => {
			connections--
		})
		if (connections > config.maxConnections) {
			overCap.add(socket)
		}
	})
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject)
		server.listen(config.port, config.host, () => {
			server.off('error', reject)
			resolve()
		})
	})
	hosts = acceptedHosts(config, (server.address() as AddressInfo).port)

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
