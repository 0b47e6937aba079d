/**
 * @module The steps a probe is made of (resolve, connect, TLS handshake, read), each timed into
 * `phases`, each abandoned the moment the probe's deadline fires, and the mapping from socket
 * errors to the short codes of the agent protocol.
 */
import { lookup } from 'node:dns/promises'
import { isIP, type Socket, connect as tcpConnect } from 'node:net'
import { checkServerIdentity, type TLSSocket, connect as tlsConnect } from 'node:tls'
import type {
	AgentPhase,
	AgentPhases,
	AgentProbe,
	AgentProbeError,
	AgentTarget,
	AgentTargetResult,
	AgentTlsInfo,
} from '../../../src/contracts/agent.ts'
import { type AddressPolicy, addressPolicy } from '../addresses.ts'

/** How a probe runs on this agent. */
export interface ProbeOptions {
	/** The local address to connect from (AGENT_SOURCE_ADDRESS). */
	sourceAddress?: string | undefined
	/** Which resolved addresses may be probed; default: refuse link-local and metadata ones. */
	addresses?: AddressPolicy | undefined
}

/** An expected probe failure with its protocol code. */
export class ProbeFailure extends Error {
	readonly code: AgentProbeError
	constructor(code: AgentProbeError, message: string) {
		super(message)
		this.name = 'ProbeFailure'
		this.code = code
	}
}

/** Thrown into a step when the probe's deadline fires. */
export class ProbeDeadline extends Error {
	constructor() {
		super('probe deadline reached')
		this.name = 'ProbeDeadline'
	}
}

/** What a verification error code looks like; anything else is reported as UNVERIFIED. */
const TLS_CODE = /^[A-Z0-9_]{1,64}$/

const round = (n: number, digits = 1) => {
	const f = 10 ** digits
	return Math.round(n * f) / f
}

/** The running record of one probe: timings, the current step, what it learned, what to close. */
export class Trace {
	readonly target: AgentTarget
	readonly signal: AbortSignal
	readonly started = performance.now()
	readonly phases: AgentPhases = {}
	phase: AgentPhase = 'dns'
	address: string | undefined
	tls: AgentTlsInfo | undefined
	http: { status: number } | undefined
	postgres: { ssl: boolean } | undefined
	readonly #sockets: Socket[] = []

	/** The local address to connect from, when the agent is told to use one. */
	readonly sourceAddress: string | undefined
	/** Which resolved addresses may be connected to (link-local and metadata ones are refused). */
	readonly addresses: AddressPolicy

	constructor(target: AgentTarget, signal: AbortSignal, options: ProbeOptions = {}) {
		this.target = target
		this.signal = signal
		this.sourceAddress = options.sourceAddress
		this.addresses = options.addresses ?? addressPolicy()
	}

	/** Runs one step as `phase`, recording its duration if it completes. */
	async step<T>(phase: AgentPhase, work: () => Promise<T>): Promise<T> {
		this.phase = phase
		if (this.signal.aborted) {
			throw new ProbeDeadline()
		}
		const t0 = performance.now()
		const value = await work()
		this.phases[phase] = round(performance.now() - t0)
		return value
	}

	/** Keeps a socket to close when the probe ends, and makes its late errors harmless. */
	own<S extends Socket>(socket: S): S {
		socket.on('error', () => {})
		this.#sockets.push(socket)
		return socket
	}

	/**
	 * Closes every socket the probe opened, outermost (TLS) first: destroying the TCP socket under
	 * a live TLSSocket made Node 22.23 segfault now and then (seen in this repo's probe tests).
	 * After a success the outermost socket is ended politely first, so the last TLS record and a
	 * close_notify are flushed (PostgreSQL otherwise logs "could not accept SSL connection").
	 */
	close(graceful: boolean): void {
		const sockets = this.#sockets.reverse()
		const destroy = () => {
			for (const socket of sockets) {
				socket.destroy()
			}
		}
		const outer = sockets[0]
		if (graceful && outer && !outer.destroyed) {
			outer.once('close', destroy)
			outer.end()
			setTimeout(destroy, 2000).unref()
			return
		}
		destroy()
	}

	/** The result, with `failure` (null for success). */
	result(failure: { code: AgentProbeError; message: string } | null): AgentTargetResult {
		const probe: AgentProbe = this.target.probe
		return {
			target: this.target.name,
			probe,
			ok: failure === null,
			latencyMs: round(performance.now() - this.started),
			error: failure?.code ?? null,
			...(failure ? { phase: this.phase, message: failure.message.slice(0, 300) } : {}),
			...(this.address ? { address: this.address } : {}),
			phases: this.phases,
			...(this.tls ? { tls: this.tls } : {}),
			...(this.http ? { http: this.http } : {}),
			...(this.postgres ? { postgres: this.postgres } : {}),
		}
	}
}

/** Rejects with ProbeDeadline when the signal fires first. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
	return new Promise<T>((resolve, reject) => {
		const onAbort = () => reject(new ProbeDeadline())
		if (signal.aborted) {
			onAbort()
			return
		}
		signal.addEventListener('abort', onAbort, { once: true })
		promise.then(
			(v) => {
				signal.removeEventListener('abort', onAbort)
				resolve(v)
			},
			(e: unknown) => {
				signal.removeEventListener('abort', onAbort)
				reject(e)
			},
		)
	})
}

/** Waits for one of a socket's events: the first listed in `resolveOn` resolves, 'error' rejects. */
function waitFor(
	socket: Socket,
	signal: AbortSignal,
	resolveOn: string,
	closedMessage: string | null,
): Promise<void> {
	return abortable(
		new Promise<void>((resolve, reject) => {
			const done = () => {
				socket.off(resolveOn, onOk)
				socket.off('error', onError)
				socket.off('close', onClose)
			}
			const onOk = () => {
				done()
				resolve()
			}
			const onError = (e: unknown) => {
				done()
				reject(e)
			}
			const onClose = () => {
				done()
				reject(new ProbeFailure('closed', closedMessage ?? 'connection closed'))
			}
			socket.once(resolveOn, onOk)
			socket.once('error', onError)
			if (closedMessage !== null) {
				socket.once('close', onClose)
			}
		}),
		signal,
	)
}

/**
 * Resolves the target's host to its addresses, in the resolver's order (no DNS phase for an IP),
 * and refuses the target if any of them is one the agent must not probe (./addresses.ts). These
 * addresses are the ones connected to, so a second lookup cannot swap in another.
 */
export async function resolve(trace: Trace): Promise<string[]> {
	const host = trace.target.host
	const addresses =
		isIP(host) !== 0
			? [host]
			: (await trace.step('dns', () => abortable(lookup(host, { all: true }), trace.signal))).map(
					(a) => a.address,
				)
	if (addresses.length === 0) {
		throw new ProbeFailure('dns', `${host} resolved to no address`)
	}
	for (const address of addresses) {
		const refusal = trace.addresses.refusal(address)
		if (refusal !== null) {
			throw new ProbeFailure(
				'blocked-address',
				`${address === host ? '' : `${host} resolves to ${address}: `}${refusal}; the agent does not probe it unless AGENT_ALLOW_ADDRESSES admits it`,
			)
		}
	}
	return addresses
}

/** Failures after which the next address is worth a try (they come fast; a timeout does not). */
const NEXT_ADDRESS = new Set([
	'ECONNREFUSED',
	'EHOSTUNREACH',
	'ENETUNREACH',
	'EHOSTDOWN',
	'ENETDOWN',
	'EADDRNOTAVAIL',
])

/**
 * Opens a TCP connection, trying the addresses in order as libpq and most clients do: a
 * refusal or a missing route moves on to the next; the last failure is the one reported.
 */
export async function connect(trace: Trace, addresses: string[]): Promise<Socket> {
	return trace.step('connect', async () => {
		for (let i = 0; ; i++) {
			const address = addresses[i] ?? ''
			trace.address = address
			const socket = trace.own(
				tcpConnect({
					host: address,
					port: trace.target.port,
					noDelay: true,
					...(trace.sourceAddress ? { localAddress: trace.sourceAddress } : {}),
				}),
			)
			try {
				await waitFor(socket, trace.signal, 'connect', null)
				return socket
			} catch (error) {
				const code = (error as { code?: unknown } | null)?.code
				if (i + 1 >= addresses.length || typeof code !== 'string' || !NEXT_ADDRESS.has(code)) {
					throw error
				}
			}
		}
	})
}

/** The name to send as SNI and to verify against: `servername`, else the host unless it is an IP. */
export function serverName(target: AgentTarget): string | undefined {
	if (target.servername) {
		return target.servername
	}
	return isIP(target.host) === 0 ? target.host : undefined
}

/**
 * Runs a TLS handshake over an open socket without rejecting the certificate (reachability is
 * the question), then judges the certificate: expired → `cert-expired`; untrusted with
 * `tlsVerify` → `cert-untrusted`. The certificate facts are recorded either way.
 */
export async function handshakeTls(
	trace: Trace,
	socket: Socket,
	alpn?: string[],
): Promise<TLSSocket> {
	const name = serverName(trace.target)
	const secure = await trace.step('tls', async () => {
		const s = trace.own(
			tlsConnect({
				socket,
				rejectUnauthorized: false,
				...(name && isIP(name) === 0 ? { servername: name } : {}),
				...(alpn ? { ALPNProtocols: alpn } : {}),
			}),
		)
		await waitFor(s, trace.signal, 'secureConnect', 'connection closed during the TLS handshake')
		return s
	})
	trace.tls = inspectCertificate(secure, name, Date.now())
	const days = trace.tls.daysLeft
	if (days !== null && days < 0) {
		throw new ProbeFailure('cert-expired', `certificate expired on ${trace.tls.notAfter}`)
	}
	if (trace.target.tlsVerify && !trace.tls.authorized) {
		throw new ProbeFailure(
			'cert-untrusted',
			`certificate does not verify: ${trace.tls.authorizationError ?? 'UNVERIFIED'}`,
		)
	}
	return secure
}

/**
 * Reads the peer certificate's expiry and the verification verdict, as a date and short codes
 * only: names from the certificate (subject, issuer, alternative names) are text chosen by the
 * target and never leave the agent.
 */
export function inspectCertificate(
	socket: TLSSocket,
	name: string | undefined,
	nowMs: number,
): AgentTlsInfo {
	const cert = socket.getPeerCertificate(false)
	const protocol = socket.getProtocol()
	if (!cert || Object.keys(cert).length === 0) {
		return {
			daysLeft: null,
			notAfter: null,
			authorized: false,
			authorizationError: 'NO_CERTIFICATE',
			protocol,
		}
	}
	const notAfterMs = Date.parse(cert.valid_to)
	// Node reports OpenSSL's verify code (DEPTH_ZERO_SELF_SIGNED_CERT) as a string; a name
	// mismatch comes as an Error whose message lists the certificate's names: keep codes only.
	let authorizationError: string | null = null
	if (!socket.authorized) {
		const code = String(socket.authorizationError ?? '')
		authorizationError = TLS_CODE.test(code) ? code : 'UNVERIFIED'
	} else if (name && checkServerIdentity(name, cert)) {
		authorizationError = 'ERR_TLS_CERT_ALTNAME_INVALID'
	}
	return {
		daysLeft: Number.isFinite(notAfterMs) ? round((notAfterMs - nowMs) / 86_400_000, 2) : null,
		notAfter: Number.isFinite(notAfterMs) ? new Date(notAfterMs).toISOString() : null,
		authorized: authorizationError === null,
		authorizationError,
		protocol,
	}
}

/**
 * Reads from a socket until `complete(buffer)` says enough, or `max` bytes. End of stream
 * before that rejects with `closed`.
 */
export function readUntil(
	trace: Trace,
	socket: Socket,
	complete: (received: Buffer) => boolean,
	max: number,
): Promise<Buffer> {
	return abortable(
		new Promise<Buffer>((resolve, reject) => {
			let received = Buffer.alloc(0)
			const done = () => {
				socket.off('data', onData)
				socket.off('error', onError)
				socket.off('end', onEnd)
				socket.off('close', onEnd)
				socket.pause()
			}
			const onData = (chunk: Buffer) => {
				received = Buffer.concat([received, chunk])
				if (complete(received) || received.length >= max) {
					done()
					resolve(received)
				}
			}
			const onError = (e: unknown) => {
				done()
				reject(e)
			}
			const onEnd = () => {
				done()
				reject(
					new ProbeFailure(
						'closed',
						received.length === 0
							? 'the server closed the connection without answering'
							: 'the server closed the connection mid-answer',
					),
				)
			}
			socket.on('data', onData)
			socket.once('error', onError)
			socket.once('end', onEnd)
			socket.once('close', onEnd)
			socket.resume()
		}),
		trace.signal,
	)
}

const DNS_CODES = new Set([
	'ENOTFOUND',
	'EAI_AGAIN',
	'EAI_FAIL',
	'EAI_NODATA',
	'EAI_NONAME',
	'ENODATA',
	'ESERVFAIL',
	'ENONAME',
	'EREFUSED',
	'EBADNAME',
])
const UNREACHABLE_CODES = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN'])

/** Maps whatever a step threw to a protocol code and a short message. */
export function classify(error: unknown, trace: Trace): { code: AgentProbeError; message: string } {
	if (error instanceof ProbeFailure) {
		return { code: error.code, message: error.message }
	}
	if (error instanceof ProbeDeadline || trace.signal.aborted) {
		return { code: 'timeout', message: `no answer within the timeout during ${trace.phase}` }
	}
	const errno = (error as { code?: unknown } | null)?.code
	const message = error instanceof Error ? error.message : String(error)
	if (typeof errno === 'string') {
		if (trace.phase === 'dns' || DNS_CODES.has(errno)) {
			return { code: 'dns', message }
		}
		if (errno === 'ECONNREFUSED') {
			return { code: 'refused', message }
		}
		if (errno === 'ETIMEDOUT') {
			return { code: 'timeout', message }
		}
		if (UNREACHABLE_CODES.has(errno)) {
			return { code: 'unreachable', message }
		}
	}
	if (trace.phase === 'tls') {
		return { code: 'tls', message }
	}
	if (errno === 'ECONNRESET' || errno === 'EPIPE') {
		return { code: 'reset', message }
	}
	return { code: 'error', message }
}
