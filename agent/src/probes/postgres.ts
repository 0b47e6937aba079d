/**
 * @module Postgres probe, like pg_isready but without credentials: send the 8-byte SSLRequest
 * (length 8, code 80877103) and expect the single byte 'S' (TLS available) or 'N' (not). After
 * 'S' the TLS handshake is completed too, so the certificate's days left are reported and the
 * server does not log an aborted handshake; the connection is then dropped before any startup
 * packet, which PostgreSQL treats as a silent disconnect.
 */
import { connect, handshakeTls, ProbeFailure, readUntil, resolve, type Trace } from './steps.ts'

/** The SSLRequest message: Int32 length 8, Int32 1234 << 16 | 5679. */
export const SSL_REQUEST = Uint8Array.of(0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f)

/** Whether bytes after 'E' look like a PostgreSQL ErrorResponse (servers older than SSL support). */
function looksLikeErrorResponse(bytes: Buffer): boolean {
	if (bytes.length < 6) {
		return false
	}
	const length = bytes.readUInt32BE(1)
	const field = String.fromCharCode(bytes[5] ?? 0)
	return length >= 5 && length < 10_000 && 'SVCMD'.includes(field)
}

/** Resolves, connects, sends SSLRequest and checks the answer. */
export async function probePostgres(trace: Trace): Promise<void> {
	const socket = await connect(trace, await resolve(trace))
	const answer = await trace.step('handshake', () => {
		socket.write(SSL_REQUEST)
		return readUntil(trace, socket, (b) => b.length >= 1, 1024)
	})
	const first = String.fromCharCode(answer[0] ?? 0)
	// A real server sends exactly one byte and then waits for us; a banner (SSH, SMTP) or an
	// HTTP error page arrives as more bytes.
	if ((first === 'S' || first === 'N') && answer.length === 1) {
		trace.postgres = { ssl: first === 'S' }
		if (first === 'S') {
			await handshakeTls(trace, socket)
		}
		return
	}
	if (first === 'E' && looksLikeErrorResponse(answer)) {
		trace.postgres = { ssl: false }
		return
	}
	// What the server said is not repeated: only its size, so no byte read from a target (a
	// banner, an error page) ever leaves the agent.
	throw new ProbeFailure(
		'not-postgres',
		`answered ${answer.length} bytes to SSLRequest; PostgreSQL answers one byte, S or N`,
	)
}
