/**
 * @module Loopback servers for probe tests: each stands for one way a target can behave.
 * Every server is bound to 127.0.0.1 on an OS-chosen port and closed by `close()`.
 */
import { createServer as createHttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'

/** A running loopback server. */
export interface TestServer {
	port: number
	close(): Promise<void>
}

async function listen(server: Server): Promise<TestServer> {
	const sockets = new Set<Socket>()
	server.on('connection', (s: Socket) => {
		sockets.add(s)
		s.on('close', () => sockets.delete(s))
		s.on('error', () => {})
	})
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
	return {
		port: (server.address() as AddressInfo).port,
		close: () =>
			new Promise<void>((resolve) => {
				for (const s of sockets) {
					s.destroy()
				}
				server.close(() => resolve())
			}),
	}
}

/** A free port: bound, then released (a tiny race, acceptable on loopback in tests). */
export async function freePort(): Promise<number> {
	const s = await listen(createServer())
	await s.close()
	return s.port
}

/** A port with nothing listening (connections are refused). */
export const refusedPort = freePort

/** Accepts connections and never says a word: timeouts for every probe but tcp. */
export function blackholeServer(): Promise<TestServer> {
	return listen(createServer(() => {}))
}

/** Accepts and immediately closes. */
export function closingServer(): Promise<TestServer> {
	return listen(createServer((s) => s.destroy()))
}

/** A plain TCP service that greets with a banner, like SSH: not PostgreSQL. */
export function bannerServer(banner = 'SSH-2.0-OpenSSH_9.2\r\n'): Promise<TestServer> {
	return listen(createServer((s) => s.write(banner)))
}

/** An HTTP server answering every request with `status`. */
export function httpServer(status: number): Promise<TestServer> {
	const server = createHttpServer((_req, res) => {
		res.writeHead(status, { 'content-type': 'text/plain' })
		res.end(`status ${status}\n`)
	})
	return listen(server as unknown as Server)
}

/** An HTTPS server answering every request with `status`. */
export function httpsServer(cert: string, key: string, status: number): Promise<TestServer> {
	const server = createHttpsServer({ cert, key }, (_req, res) => {
		res.writeHead(status)
		res.end()
	})
	return listen(server as unknown as Server)
}

/** A TLS server that completes handshakes and then waits. */
export function tlsServer(cert: string, key: string): Promise<TestServer> {
	const server = createTlsServer({ cert, key }, () => {})
	server.on('tlsClientError', () => {})
	return listen(server as unknown as Server)
}

/** A raw client connection: what a slow or hostile client does, byte by byte. */
export interface RawClient {
	socket: Socket
	/** Everything the server sent so far. */
	received(): string
	/** Resolves when the server closed the connection (or it broke). */
	closed: Promise<void>
}

/** Opens a raw TCP connection to a loopback port. */
export function rawClient(port: number): Promise<RawClient> {
	return new Promise((resolve, reject) => {
		const socket = connect({ host: '127.0.0.1', port })
		let text = ''
		socket.setEncoding('latin1')
		socket.on('data', (chunk: string) => {
			text += chunk
		})
		socket.on('error', () => {})
		const closed = new Promise<void>((r) => socket.once('close', () => r()))
		socket.once('connect', () => resolve({ socket, received: () => text, closed }))
		socket.once('error', reject)
	})
}
