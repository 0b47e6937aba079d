/**
 * @module HTTP probe: one `GET` over HTTP/1.1 (or over TLS when `tls` is set), judged by the
 * status line alone; the body is never read. Without `expectStatus`, 2xx and 3xx pass.
 */
import { isIP } from 'node:net'
import { connect, handshakeTls, ProbeFailure, readUntil, resolve, type Trace } from './steps.ts'

const STATUS_LINE = /^HTTP\/\d(?:\.\d)? (\d{3})(?: |\r|$)/

function hostHeader(host: string, port: number, tls: boolean): string {
	const name = isIP(host) === 6 ? `[${host}]` : host
	return port === (tls ? 443 : 80) ? name : `${name}:${port}`
}

/** Resolves, connects (and handshakes), sends the request and checks the status. */
export async function probeHttp(trace: Trace): Promise<void> {
	const target = trace.target
	const tls = target.tls === true
	const plain = await connect(trace, await resolve(trace))
	const socket = tls ? await handshakeTls(trace, plain, ['http/1.1']) : plain
	const head = await trace.step('firstByte', () => {
		// `path` and `host` are restricted by the contract schema to characters that cannot
		// break the request line or add headers.
		socket.write(
			`GET ${target.path ?? '/'} HTTP/1.1\r\nHost: ${hostHeader(target.host, target.port, tls)}\r\nUser-Agent: tidegate-agent\r\nAccept: */*\r\nConnection: close\r\n\r\n`,
		)
		return readUntil(
			trace,
			socket,
			(b) =>
				b.includes('\r\n') || (b.length >= 5 && !b.subarray(0, 5).equals(Buffer.from('HTTP/'))),
			8192,
		)
	})
	const line = head.toString('latin1').split('\r\n')[0] ?? ''
	const match = STATUS_LINE.exec(line)
	if (!match?.[1]) {
		// Only the size of what came back: no byte read from a target leaves the agent.
		throw new ProbeFailure(
			'http-protocol',
			`not an HTTP status line (${head.length} bytes received)`,
		)
	}
	const status = Number(match[1])
	trace.http = { status }
	const expected = target.expectStatus
	const pass = expected === undefined ? status >= 200 && status < 400 : status === expected
	if (!pass) {
		throw new ProbeFailure('http-status', `status ${status}, expected ${expected ?? '2xx or 3xx'}`)
	}
}
