/**
 * @module This node's public egress IP, learnt from the Worker without any third party: the agent
 * sends a signed `GET /agent/egress-ip` to AGENT_WORKER_URL from the same source address its
 * probes use, and the Worker answers, signed, the `CF-Connecting-IP` Cloudflare saw. Kept for
 * AGENT_EGRESS_IP_TTL_MS; asked again at the first check after that, in parallel with the probes
 * and never for longer than the probe timeout (a slow answer still lands in the cache for the
 * next check). With it, a node that cannot reach a target can be told apart as "not on the
 * target's IP allowlist" (its address differs from the nodes that get in) or not.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { Readable } from 'node:stream'
import {
	type AGENT_EGRESS_IP_ERRORS,
	AGENT_EGRESS_IP_PATH,
	AGENT_EGRESS_IP_TTL_MS,
	type AgentEgressIp,
	agentEgressIpAnswerSchema,
} from '../../src/contracts/agent.ts'
import {
	signAgentRequest,
	signedHost,
	verifyAgentResponse,
} from '../../src/contracts/agent-signing.ts'
import { readCapped } from '../../src/lib/read-capped.ts'
import type { Logger } from './log.ts'

/** Where the agent learns its egress IP. */
export interface EgressIpSource {
	/** The egress IP as known now, refreshed first if stale (waiting at most `waitMs`). */
	current(waitMs: number): Promise<AgentEgressIp>
}

/** The Worker's answer is a few dozen bytes. */
const MAX_ANSWER_BYTES = 4096
/** How long one call to the Worker may take, whoever waits for it. */
const CALL_TIMEOUT_MS = 10_000

type Failure = keyof typeof AGENT_EGRESS_IP_ERRORS

class EgressIpFailure extends Error {
	readonly code: Failure
	constructor(code: Failure, message: string) {
		super(message)
		this.code = code
	}
}

/** Asks the Worker at `workerUrl` (none: always `not-configured`). */
export function egressIpSource(options: {
	workerUrl: string | undefined
	/** Current secret first: the previous one is tried when the Worker refuses it (rotation). */
	secrets: readonly string[]
	sourceAddress: string | undefined
	log: Logger
	now?: () => number
}): EgressIpSource {
	const now = options.now ?? Date.now
	let known: { address: string; observedAt: number } | null = null
	let error: Failure | null = null
	let inflight: Promise<void> | null = null

	const state = (): AgentEgressIp => ({
		address: known?.address ?? null,
		observedAt: known?.observedAt ?? null,
		error,
	})

	async function refresh(workerUrl: string): Promise<void> {
		try {
			known = { address: await ask(workerUrl, options), observedAt: now() }
			error = null
		} catch (e) {
			error = e instanceof EgressIpFailure ? e.code : 'error'
			options.log.log('warn', 'egress-ip-failed', {
				error,
				message: e instanceof Error ? e.message.slice(0, 300) : String(e),
			})
		}
	}

	return {
		async current(waitMs) {
			if (!options.workerUrl) {
				return { address: null, observedAt: null, error: 'not-configured' }
			}
			if (known && error === null && now() - known.observedAt < AGENT_EGRESS_IP_TTL_MS) {
				return state()
			}
			const workerUrl = options.workerUrl
			inflight ??= refresh(workerUrl).finally(() => {
				inflight = null
			})
			let timer: ReturnType<typeof setTimeout> | undefined
			const late = await Promise.race([
				inflight.then(() => false),
				new Promise<boolean>((resolve) => {
					timer = setTimeout(() => resolve(true), waitMs)
				}),
			])
			clearTimeout(timer)
			return late ? { ...state(), error: 'timeout' } : state()
		},
	}
}

/** One signed call; the address, or an EgressIpFailure. */
async function ask(
	workerUrl: string,
	options: { secrets: readonly string[]; sourceAddress: string | undefined },
): Promise<string> {
	const url = new URL(AGENT_EGRESS_IP_PATH, workerUrl)
	for (const [i, secret] of options.secrets.entries()) {
		const headers = await signAgentRequest({
			secret,
			method: 'GET',
			host: signedHost(url),
			path: `${url.pathname}${url.search}`,
			body: '',
		})
		const answer = await get(url, headers, options.sourceAddress)
		if (answer.status === 401 && i + 1 < options.secrets.length) {
			continue // the Worker may still hold the previous secret
		}
		if (answer.status === 401 || answer.status === 403) {
			throw new EgressIpFailure('unauthorized', `the Worker answered ${answer.status}`)
		}
		if (answer.status !== 200) {
			throw new EgressIpFailure('bad-status', `the Worker answered HTTP ${answer.status}`)
		}
		const signed = await verifyAgentResponse({
			secret,
			request: headers['x-tidegate-signature'],
			response: answer,
			body: answer.body,
		})
		if (!signed) {
			throw new EgressIpFailure('unauthorized', 'the answer is not signed for this request')
		}
		let json: unknown
		try {
			json = JSON.parse(new TextDecoder().decode(answer.body))
		} catch {
			throw new EgressIpFailure('bad-response', 'the answer is not JSON')
		}
		const parsed = agentEgressIpAnswerSchema.safeParse(json)
		if (!parsed.success) {
			throw new EgressIpFailure('bad-response', 'the answer holds no IP address')
		}
		return parsed.data.ip
	}
	throw new EgressIpFailure('error', 'no secret configured')
}

/** A GET from `sourceAddress` (the node's egress interface), body capped. */
function get(
	url: URL,
	headers: Record<string, string>,
	sourceAddress: string | undefined,
): Promise<{ status: number; headers: { get(name: string): string | null }; body: Uint8Array }> {
	const send = url.protocol === 'https:' ? httpsRequest : httpRequest
	return new Promise((resolve, reject) => {
		const request = send(
			url,
			{
				method: 'GET',
				headers: { ...headers, accept: 'application/json' },
				signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
				...(sourceAddress ? { localAddress: sourceAddress } : {}),
			},
			(response: IncomingMessage) => {
				void readCapped(Readable.toWeb(response) as ReadableStream<Uint8Array>, MAX_ANSWER_BYTES, {
					contentLength: response.headers['content-length'],
				}).then((read) => {
					if (read.ok) {
						resolve({
							status: response.statusCode ?? 0,
							headers: {
								get: (name) => {
									const value = response.headers[name.toLowerCase()]
									return typeof value === 'string' ? value : null
								},
							},
							body: read.value,
						})
					} else if (read.error.kind === 'too_large') {
						reject(new EgressIpFailure('bad-response', 'the answer is too large'))
					} else {
						reject(failure(read.error.cause))
					}
				})
			},
		)
		request.once('error', (e) => reject(failure(e)))
		request.end()
	})
}

function failure(e: unknown): EgressIpFailure {
	const name = (e as { name?: unknown } | null)?.name
	if (name === 'TimeoutError' || name === 'AbortError') {
		return new EgressIpFailure('timeout', `no answer within ${CALL_TIMEOUT_MS} ms`)
	}
	const code = (e as { code?: unknown } | null)?.code
	return new EgressIpFailure(
		'unreachable',
		`${typeof code === 'string' ? code : 'error'}: ${e instanceof Error ? e.message : String(e)}`,
	)
}
