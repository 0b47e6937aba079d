/** @module TLS probe: a full handshake, reporting the certificate's days left. */
import { connect, handshakeTls, resolve, type Trace } from './steps.ts'

/** Resolves, connects and completes a TLS handshake; the certificate facts land in `trace.tls`. */
export async function probeTls(trace: Trace): Promise<void> {
	const socket = await connect(trace, await resolve(trace))
	await handshakeTls(trace, socket)
}
