/**
 * @module The Worker's own probe of a target from Cloudflare's edge: a TCP connect with
 * `connect()` from `cloudflare:sockets`, under a timeout, closed at once. Comparing it with the
 * nodes' results tells "the database is down" apart from "these nodes cannot get out".
 */
import { connect as socketsConnect } from 'cloudflare:sockets'
import type { EdgeProbeResult } from '../../domain/egress/model.ts'
import type { EdgeProber } from '../../domain/egress/ports.ts'

/** What a socket must offer (the part of `cloudflare:sockets` Socket used here). */
export interface ProbeSocket {
	opened: Promise<unknown>
	close(): Promise<void>
}

/** Opens a socket (`connect` from `cloudflare:sockets`, or a test double). */
export type SocketConnect = (address: { hostname: string; port: number }) => ProbeSocket

/** EdgeProber over `cloudflare:sockets`. */
export function socketsEdgeProber(connect: SocketConnect = socketsConnect): EdgeProber {
	return {
		async tcp(host, port, timeoutMs) {
			const started = Date.now()
			const elapsed = () => Date.now() - started
			let socket: ProbeSocket
			try {
				socket = connect({ hostname: host, port })
			} catch (e) {
				// connect() throws synchronously for addresses the platform refuses (e.g. port 25).
				return failure(e, elapsed())
			}
			let timer: ReturnType<typeof setTimeout> | undefined
			const timedOut = new Promise<'timeout'>((resolve) => {
				timer = setTimeout(() => resolve('timeout'), timeoutMs)
			})
			try {
				const outcome = await Promise.race([socket.opened.then(() => 'open' as const), timedOut])
				if (outcome === 'timeout') {
					return {
						ok: false,
						latencyMs: elapsed(),
						error: 'timeout',
						message: `no connection within ${timeoutMs} ms`,
					}
				}
				return { ok: true, latencyMs: elapsed(), error: null, message: null }
			} catch (e) {
				return failure(e, elapsed())
			} finally {
				if (timer !== undefined) {
					clearTimeout(timer)
				}
				// Close without waiting: the verdict is in, and a hung close must not hold the check.
				socket.close().catch(() => {})
			}
		},
	}
}

function failure(e: unknown, latencyMs: number): EdgeProbeResult {
	const message = (e instanceof Error ? e.message : String(e)).slice(0, 300)
	return { ok: false, latencyMs, error: edgeErrorCode(message), message }
}

/** Maps a `connect()` error message to a short code (the runtime gives messages, not codes). */
export function edgeErrorCode(message: string): string {
	const m = message.toLowerCase()
	if (/timed? ?out/.test(m)) {
		return 'timeout'
	}
	if (/refused|cannot connect/.test(m)) {
		return 'refused'
	}
	if (/dns|resolve|not known|no such host|getaddrinfo/.test(m)) {
		return 'dns'
	}
	if (/blocked|not allowed|prohibited|port 25/.test(m)) {
		return 'blocked'
	}
	return 'error'
}
