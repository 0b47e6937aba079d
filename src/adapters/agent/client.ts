/**
 * @module The in-cluster agent over HTTP (agent/README.md "Calling it from the Worker"): every
 * call is signed with AGENT_SECRET for AGENT_URL's host (src/contracts/agent-signing.ts), bounded
 * by a timeout and a response size cap, and its answer is accepted only if it is signed by a
 * holder of the secret for this very request and the contract's schema accepts all of it.
 * Anything else — refused, timed out, 401, a proxy's HTML page, an unsigned or replayed answer,
 * garbage, an answer for another request — is an `AgentFailure`: the check becomes unknown, no
 * target is ever blamed for it.
 */
import {
	AGENT_CHECK_PATH,
	AGENT_MAX_RESPONSE_BYTES,
	type AgentCheckResponse,
	parseAgentCheckResponse,
} from '../../contracts/agent.ts'
import { signAgentRequest, signedHost, verifyAgentResponse } from '../../contracts/agent-signing.ts'
import type { AgentApi, AgentFailure } from '../../domain/egress/ports.ts'
import type { ApiCallLog } from '../../domain/ports.ts'
import { readCapped } from '../../lib/read-capped.ts'
import { err, ok, type Result } from '../../lib/result.ts'
import { recordingFetch } from '../recording-fetch.ts'

/** AgentApi over fetch. `url` is AGENT_URL: a base URL (a path prefix is kept and signed). */
export function httpAgentClient(options: {
	url: string
	secret: string
	calls: ApiCallLog
	fetch?: typeof fetch
	maxResponseBytes?: number
}): AgentApi {
	const send = recordingFetch('agent', options.calls, options.fetch ?? fetch)
	const endpoint = `${options.url.replace(/\/+$/, '')}${AGENT_CHECK_PATH}`
	const cap = options.maxResponseBytes ?? AGENT_MAX_RESPONSE_BYTES
	return {
		async check(request, { timeoutMs }) {
			const body = JSON.stringify(request)
			const url = new URL(endpoint)
			// The agent verifies the request target exactly as it receives it, for one of its names.
			const headers = await signAgentRequest({
				secret: options.secret,
				method: 'POST',
				host: signedHost(url),
				path: `${url.pathname}${url.search}`,
				body,
			})
			const signal = AbortSignal.timeout(timeoutMs)
			let response: Response
			try {
				response = await send(url.toString(), {
					method: 'POST',
					headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
					body,
					signal,
				})
			} catch (e) {
				return err(transportFailure(e, timeoutMs))
			}
			const read = await readCapped(response.body, cap, {
				contentLength: response.headers.get('content-length'),
				signal,
			})
			if (!read.ok) {
				return err(
					read.error.kind === 'too_large'
						? {
								code: 'too-large',
								status: response.status,
								message: `the answer is larger than ${cap} bytes`,
							}
						: transportFailure(read.error.cause, timeoutMs),
				)
			}
			const text = new TextDecoder().decode(read.value)
			if (response.status === 401 || response.status === 403) {
				return err({
					code: 'unauthorized',
					status: response.status,
					message: `the agent answered ${response.status}${errorDetail(text)}: AGENT_SECRET differs from the agent's, AGENT_URL's host is not in the agent's AGENT_HOSTNAMES, or the clocks are more than 5 minutes apart${response.status === 403 ? ' (or Cloudflare Access blocks the route)' : ''}`,
				})
			}
			if (looksLikeHtml(response, text)) {
				return err({
					code: 'html',
					status: response.status,
					message: `the agent URL answered an HTML page (HTTP ${response.status}): a tunnel error page or a login page in front of the agent, not the agent`,
				})
			}
			if (!response.ok) {
				return err({
					code: 'bad-status',
					status: response.status,
					message: `the agent answered HTTP ${response.status}${errorDetail(text)}`,
				})
			}
			const signed = await verifyAgentResponse({
				secret: options.secret,
				request: headers['x-tidegate-signature'],
				response,
				body: read.value,
			})
			if (!signed) {
				// Whatever it says, it did not come from an agent holding the secret for this request.
				return err({
					code: 'unauthorized',
					status: response.status,
					message:
						'the answer is not signed for this request by an agent holding AGENT_SECRET (X-Tidegate-Response-Signature missing or wrong): something else answers at AGENT_URL, or the answer was replayed',
				})
			}
			const parsed = parseAgentCheckResponse(text)
			if (!parsed.ok) {
				return err({
					code: parsed.error,
					status: response.status,
					message:
						parsed.error === 'not-json'
							? 'the answer is not JSON'
							: `the answer does not follow the agent protocol: ${parsed.message}`,
				})
			}
			return checkRequestId(parsed.value, request.requestId)
		},
	}
}

function checkRequestId(
	answer: AgentCheckResponse,
	requestId: string | undefined,
): Result<AgentCheckResponse, AgentFailure> {
	if (requestId !== undefined && answer.requestId !== requestId) {
		// A cache or a replaying proxy in between: an old matrix must not pass for a new one.
		return err({
			code: 'invalid',
			message: `the answer is for request "${answer.requestId.slice(0, 100)}", not this one`,
		})
	}
	return ok(answer)
}

function transportFailure(e: unknown, timeoutMs: number): AgentFailure {
	const name = e instanceof Error ? e.name : ''
	if (name === 'TimeoutError' || name === 'AbortError') {
		return { code: 'timeout', message: `no complete answer within ${timeoutMs} ms` }
	}
	const message = e instanceof Error ? e.message : String(e)
	return {
		code: 'unreachable',
		message: `the agent could not be reached: ${message.slice(0, 200)}`,
	}
}

function looksLikeHtml(response: Response, text: string): boolean {
	const type = response.headers.get('content-type') ?? ''
	return type.includes('text/html') || /^\s*<(!doctype|html|head|body)/i.test(text)
}

function errorDetail(text: string): string {
	try {
		const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }
		if (typeof body.error?.code === 'string') {
			return ` (${body.error.code}${typeof body.error.message === 'string' ? `: ${body.error.message.slice(0, 200)}` : ''})`
		}
	} catch {}
	return ''
}
