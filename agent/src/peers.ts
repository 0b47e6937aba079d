/**
 * @module Finding and asking the other agents. Peers come from a static list (local runs) or
 * from the headless Service's A records (in the cluster, resolved on every check so a new node
 * joins the matrix without a restart). Each peer is asked with `fanout: false`, signed with the
 * same secret for that peer's own address, with the fanned-out request's signature as `origin`
 * (so it cannot be replayed to the peer). Anything short of a valid one-node answer signed by the
 * peer for this very request makes that node `reachable: false`.
 */
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import {
	AGENT_CHECK_PATH,
	AGENT_MAX_RESPONSE_BYTES,
	type AgentCheckRequest,
	type AgentNodeReport,
	parseAgentCheckResponse,
} from '../../src/contracts/agent.ts'
import {
	signAgentRequest,
	signedHost,
	verifyAgentResponse,
} from '../../src/contracts/agent-signing.ts'
import { readCapped } from '../../src/lib/read-capped.ts'
import type { PeerSource } from './config.ts'

/** The outcome of peer discovery. */
export interface Discovery {
	source: 'static' | 'dns' | 'none'
	urls: string[]
	error: string | null
}

/** Lists the peers' base URLs, without this agent's own pod IP. */
export async function discoverPeers(
	source: PeerSource,
	podIp: string | undefined,
): Promise<Discovery> {
	if (source.kind === 'static') {
		return { source: source.urls.length > 0 ? 'static' : 'none', urls: source.urls, error: null }
	}
	try {
		const records = await lookup(source.service, { all: true })
		const urls = records
			.map((r) => r.address)
			.filter((address, i, all) => address !== podIp && all.indexOf(address) === i)
			.map((address) =>
				isIP(address) === 6
					? `http://[${address}]:${source.port}`
					: `http://${address}:${source.port}`,
			)
		return { source: 'dns', urls, error: null }
	} catch (error) {
		const code = (error as { code?: unknown }).code
		return {
			source: 'dns',
			urls: [],
			error: `could not resolve ${source.service}: ${typeof code === 'string' ? code : String(error)}`,
		}
	}
}

function errorCode(error: unknown): string | undefined {
	let e: unknown = error
	for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
		const code = (e as { code?: unknown }).code
		if (typeof code === 'string') {
			return code
		}
		e = (e as { cause?: unknown }).cause
	}
	return undefined
}

/**
 * Asks one peer to probe the targets itself. Never throws: a peer that cannot answer in
 * `timeoutMs + graceMs` becomes `reachable: false` under the best name we know for it.
 */
export async function askPeer(options: {
	url: string
	knownName: string | undefined
	request: AgentCheckRequest & { timeoutMs: number; requestId: string }
	/** The request this agent accepted and is fanning out. */
	origin: { signature: string; timestamp: number }
	secret: string
	graceMs: number
}): Promise<AgentNodeReport> {
	const { url, request } = options
	const observedAt = Date.now()
	const t0 = performance.now()
	const unreachable = (error: string, message: string): AgentNodeReport => ({
		node: options.knownName ?? new URL(url).host,
		reachable: false,
		error,
		message: message.slice(0, 300),
		peer: url,
		observedAt,
		durationMs: Math.round((performance.now() - t0) * 10) / 10,
		results: [],
	})
	const body = JSON.stringify({
		targets: request.targets,
		timeoutMs: request.timeoutMs,
		fanout: false,
		requestId: request.requestId,
		origin: options.origin,
	})
	try {
		const headers = await signAgentRequest({
			secret: options.secret,
			method: 'POST',
			host: signedHost(url),
			path: AGENT_CHECK_PATH,
			body,
		})
		const response = await fetch(`${url}${AGENT_CHECK_PATH}`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', ...headers },
			body,
			signal: AbortSignal.timeout(request.timeoutMs + options.graceMs),
			redirect: 'error',
		})
		const read = await readCapped(response.body, AGENT_MAX_RESPONSE_BYTES, {
			contentLength: response.headers.get('content-length'),
		})
		if (response.status === 401) {
			return unreachable('unauthorized', 'the peer refused our signature')
		}
		if (response.status !== 200) {
			return unreachable('bad-status', `the peer answered HTTP ${response.status}`)
		}
		if (!read.ok) {
			if (read.error.kind === 'unreadable') {
				throw read.error.cause
			}
			return unreachable('too-large', 'the peer answer exceeded the size cap')
		}
		const signed = await verifyAgentResponse({
			secret: options.secret,
			request: headers['x-tidegate-signature'],
			response,
			body: read.value,
		})
		if (!signed) {
			return unreachable(
				'unauthorized',
				'the answer is not signed for this request by an agent holding the secret',
			)
		}
		const parsed = parseAgentCheckResponse(new TextDecoder().decode(read.value))
		if (!parsed.ok) {
			return unreachable('bad-response', parsed.message)
		}
		const [report, ...extra] = parsed.value.nodes
		if (!report || extra.length > 0 || !report.reachable) {
			return unreachable('bad-response', 'the peer did not answer with exactly its own node')
		}
		return { ...report, peer: url }
	} catch (error) {
		const name = (error as { name?: unknown } | null)?.name
		if (name === 'TimeoutError' || name === 'AbortError') {
			return unreachable('timeout', `no answer within ${request.timeoutMs + options.graceMs} ms`)
		}
		const code = errorCode(error)
		if (code === 'ECONNREFUSED') {
			return unreachable('refused', `connection refused by ${url}`)
		}
		if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EHOSTDOWN') {
			return unreachable('unreachable', `no route to ${url}`)
		}
		if (
			code === 'UND_ERR_HEADERS_TIMEOUT' ||
			code === 'UND_ERR_BODY_TIMEOUT' ||
			code === 'ETIMEDOUT'
		) {
			return unreachable('timeout', `no answer from ${url}`)
		}
		const message = error instanceof Error ? error.message : String(error)
		return unreachable('error', `${code ?? 'error'}: ${message}`)
	}
}
