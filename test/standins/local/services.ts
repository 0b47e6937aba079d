/**
 * @module Loopback stand-ins for the parts of the team's world that are neither Cloudflare nor
 * GitHub, for `npm start`, the demo and tests: the managed Postgres (with the IP allowlist that cut
 * one node off), an in-cluster HTTP service (Label Studio), and a Slack-compatible alert sink.
 */

import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer, type Server, type Socket } from 'node:net'

/** A listening stand-in. */
export interface Listening {
	port: number
	close(): Promise<void>
}

/**
 * A Postgres front door: answers the 8-byte SSLRequest with `N` (no TLS), as a real server
 * without TLS does, which is all a reachability probe (like pg_isready) needs. Connections from
 * `deny` source addresses are held open and never answered, as a firewall that drops them would
 * look to the client: the probe times out.
 */
export function servePostgresStandin(options: {
	host?: string
	port: number
	deny?: string[]
}): Promise<Listening> {
	const deny = new Set(options.deny ?? [])
	const held = new Set<Socket>()
	const server = createServer((socket) => {
		const from = (socket.remoteAddress ?? '').replace(/^::ffff:/, '')
		if (deny.has(from)) {
			held.add(socket)
			socket.on('close', () => held.delete(socket))
			socket.on('error', () => {})
			return
		}
		socket.once('data', (data) => {
			// SSLRequest: length 8, code 80877103.
			if (data.length >= 8 && data.readInt32BE(0) === 8 && data.readInt32BE(4) === 80877103) {
				socket.end(Buffer.from('N'))
			} else {
				socket.destroy()
			}
		})
		socket.on('error', () => {})
	})
	return listen(server, options.host ?? '127.0.0.1', options.port, () => {
		for (const socket of held) {
			socket.destroy()
		}
	})
}

/** An HTTP service answering 200 on every path, like an app behind the tunnel. */
export function serveHttpService(options: {
	host?: string
	port: number
	name: string
}): Promise<Listening> {
	const server = createHttpServer((request, response) => {
		request.resume()
		response.writeHead(200, { 'content-type': 'text/plain' })
		response.end(`${options.name}\n`)
	})
	return listen(server, options.host ?? '127.0.0.1', options.port)
}

/** A Slack-compatible incoming webhook that hands each alert's text to `onAlert`. */
export function serveAlertSink(options: {
	host?: string
	port: number
	onAlert: (text: string) => void
}): Promise<Listening> {
	const server = createHttpServer((request, response) => {
		let body = ''
		request.setEncoding('utf8').on('data', (chunk: string) => {
			body += chunk
		})
		request.on('end', () => {
			try {
				options.onAlert(String((JSON.parse(body) as { text?: unknown }).text ?? ''))
				response.writeHead(200).end('ok')
			} catch {
				response.writeHead(400).end('invalid_payload')
			}
		})
	})
	return listen(server, options.host ?? '127.0.0.1', options.port)
}

function listen(
	server: Server | HttpServer,
	host: string,
	port: number,
	beforeClose?: () => void,
): Promise<Listening> {
	return new Promise((resolve, reject) => {
		server.once('error', reject)
		server.listen(port, host, () => {
			const address = server.address()
			resolve({
				port: typeof address === 'object' && address ? address.port : port,
				close: () =>
					new Promise<void>((done) => {
						beforeClose?.()
						server.close(() => done())
						if ('closeAllConnections' in server) {
							server.closeAllConnections()
						}
					}),
			})
		})
	})
}
