/**
 * @module How the Worker and the agents authenticate each other: scheme `v2`, HMAC-SHA256 with the
 * shared AGENT_SECRET (through src/lib/secrets.ts). WebCrypto only, so the Worker and the agent
 * run this same file. agent/README.md ("Signing, v2") is the reference for other clients.
 *
 * A request carries `X-Tidegate-Timestamp: <unix seconds>` and `X-Tidegate-Signature: v2=<hex>`
 * over
 *
 *     tidegate-agent-v2 request\n<timestamp>\n<METHOD>\n<host>\n<path>\n<raw body>
 *
 * where `host` is the host the caller addressed (`new URL(url).host`: lower case, the port only
 * when it is not the scheme's default) and `path` the request target (pathname and query). The
 * host binds a request to the agent it is meant for: an agent verifies against its own names
 * only, never against the `Host` header it received, so a request captured on its way to one
 * agent is refused by every other. The receiver refuses a timestamp more than 5 minutes off and a
 * signature it has seen (the agent keeps a replay cache; peers learn the signature of a fanned-out
 * request, see `origin` in ./agent.ts).
 *
 * An answer to an authenticated request carries `X-Tidegate-Response-Signature: v2=<hex>` over
 *
 *     tidegate-agent-v2 answer\n<the request's signature hex>\n<HTTP status>\n<raw body>
 *
 * with the secret that verified the request, so the caller knows the answer comes from a holder
 * of the secret and answers *this* request (a recorded answer cannot be replayed to another).
 * Answers to requests that did not verify are never signed: the agent would otherwise sign bytes
 * of an anonymous caller's choosing.
 *
 * v1 (`sha256=<hex>` over `<timestamp>\n<METHOD>\n<path>\n<body>`) bound neither host nor answer;
 * it is refused with its own reason, so a half-finished upgrade says what is wrong.
 */
import { hmacSha256Hex, parseHex256, verifyHmacSha256 } from '../lib/secrets.ts'

/** The scheme this file speaks: the prefix of every signature and the first word signed. */
export const AGENT_SIGNATURE_SCHEME = 'v2'
/** Header with the signing time in Unix seconds (lower case, as `Headers` reports it). */
export const AGENT_TIMESTAMP_HEADER = 'x-tidegate-timestamp'
/** Header with the request's `v2=<hex>`. */
export const AGENT_SIGNATURE_HEADER = 'x-tidegate-signature'
/** Header with the answer's `v2=<hex>`. */
export const AGENT_RESPONSE_SIGNATURE_HEADER = 'x-tidegate-response-signature'
/** How far a timestamp may be from the receiver's clock, either way. */
export const AGENT_MAX_SKEW_SECONDS = 300

const encoder = new TextEncoder()
const SIGNATURE_RE = /^v2=([0-9a-f]{64})$/
const V1_RE = /^sha256=[0-9a-fA-F]*$/
const TIMESTAMP_RE = /^[0-9]{1,12}$/

/** `host[:port]` as signed: lower case, without the scheme's default port. */
export function signedHost(url: string | URL): string {
	return new URL(url).host
}

/** A configured name (`tidegate-agent.example.com`, `10.42.0.7:8787`) the way callers sign it. */
export function normaliseHost(host: string): string {
	return new URL(`http://${host.trim()}`).host
}

function concat(head: string, body: string | Uint8Array): Uint8Array<ArrayBuffer> {
	const start = encoder.encode(head)
	const tail = typeof body === 'string' ? encoder.encode(body) : body
	const out = new Uint8Array(start.length + tail.length)
	out.set(start, 0)
	out.set(tail, start.length)
	return out
}

function requestBytes(input: {
	timestamp: string
	method: string
	host: string
	path: string
	body: string | Uint8Array
}): Uint8Array<ArrayBuffer> {
	return concat(
		`tidegate-agent-v2 request\n${input.timestamp}\n${input.method.toUpperCase()}\n${input.host.toLowerCase()}\n${input.path}\n`,
		input.body,
	)
}

function answerBytes(requestSignature: string, status: number, body: string | Uint8Array) {
	return concat(`tidegate-agent-v2 answer\n${requestSignature}\n${status}\n`, body)
}

/** The two signing headers, keyed by their lower-case names. */
export type AgentSignatureHeaders = {
	'x-tidegate-timestamp': string
	'x-tidegate-signature': string
}

/** Signs one request for `host`. `timestamp` (Unix seconds) defaults to now. */
export async function signAgentRequest(input: {
	secret: string
	method: string
	host: string
	path: string
	body: string | Uint8Array
	timestamp?: number
}): Promise<AgentSignatureHeaders> {
	const timestamp = String(input.timestamp ?? Math.floor(Date.now() / 1000))
	const mac = await hmacSha256Hex(input.secret, requestBytes({ ...input, timestamp }))
	return { 'x-tidegate-timestamp': timestamp, 'x-tidegate-signature': `v2=${mac}` }
}

/** Why a request's signature was refused. None of them says what the right signature would be. */
export type AgentAuthFailure = 'missing' | 'malformed' | 'old-scheme' | 'stale' | 'bad-signature'

/**
 * The verdict on a request's signature: on success, the signature (hex, for the replay cache and
 * the answer's signature), the host it was made for and the secret that made it.
 */
export type AgentAuthResult =
	| { ok: true; timestamp: number; signature: string; host: string; secret: string }
	| { ok: false; reason: AgentAuthFailure }

/**
 * Verifies a request's signature in constant time against every secret (current and the one
 * being rotated out) and every name of the receiver (`hosts`, normalised). Replays are the
 * caller's to track: it must refuse a `signature` it has already accepted within the window.
 */
export async function verifyAgentRequest(input: {
	secrets: readonly string[]
	hosts: readonly string[]
	method: string
	path: string
	body: string | Uint8Array
	timestamp: string | null | undefined
	signature: string | null | undefined
	nowSeconds?: number
	maxSkewSeconds?: number
}): Promise<AgentAuthResult> {
	if (!input.timestamp || !input.signature) {
		return { ok: false, reason: 'missing' }
	}
	if (V1_RE.test(input.signature)) {
		return { ok: false, reason: 'old-scheme' }
	}
	const hex = SIGNATURE_RE.exec(input.signature)?.[1]
	const mac = hex === undefined ? undefined : parseHex256(hex)
	if (!TIMESTAMP_RE.test(input.timestamp) || hex === undefined || mac === undefined) {
		return { ok: false, reason: 'malformed' }
	}
	const ts = Number(input.timestamp)
	const now = input.nowSeconds ?? Math.floor(Date.now() / 1000)
	if (Math.abs(now - ts) > (input.maxSkewSeconds ?? AGENT_MAX_SKEW_SECONDS)) {
		return { ok: false, reason: 'stale' }
	}
	let match: { host: string; secret: string } | undefined
	for (const host of input.hosts) {
		const data = requestBytes({ ...input, timestamp: input.timestamp, host })
		for (const secret of input.secrets) {
			// One secret at a time, to know which one signed (the answer is signed with it).
			if ((await verifyHmacSha256([secret], data, mac)) && match === undefined) {
				match = { host, secret }
			}
		}
	}
	return match
		? { ok: true, timestamp: ts, signature: hex, ...match }
		: { ok: false, reason: 'bad-signature' }
}

/** The `X-Tidegate-Response-Signature` value of an answer to the request signed `requestSignature`. */
export async function signAgentResponse(input: {
	secret: string
	requestSignature: string
	status: number
	body: string | Uint8Array
}): Promise<string> {
	const mac = await hmacSha256Hex(
		input.secret,
		answerBytes(input.requestSignature, input.status, input.body),
	)
	return `v2=${mac}`
}

/**
 * True when `response` carries an `X-Tidegate-Response-Signature` that signs it, with `body` (as
 * read), as the answer to the request that carried `request`'s signature.
 */
export async function verifyAgentResponse(input: {
	secret: string
	/** The signature header the request was sent with (`v2=<hex>`). */
	request: string
	response: { status: number; headers: { get(name: string): string | null } }
	body: string | Uint8Array
}): Promise<boolean> {
	const hex = SIGNATURE_RE.exec(
		input.response.headers.get(AGENT_RESPONSE_SIGNATURE_HEADER) ?? '',
	)?.[1]
	const mac = hex === undefined ? undefined : parseHex256(hex)
	return (
		mac !== undefined &&
		(await verifyHmacSha256(
			[input.secret],
			answerBytes(signatureHex(input.request), input.response.status, input.body),
			mac,
		))
	)
}

/** The hex of a request's `v2=<hex>` signature, for verifying its answer. */
export function signatureHex(signature: string): string {
	return signature.slice(AGENT_SIGNATURE_SCHEME.length + 1)
}
