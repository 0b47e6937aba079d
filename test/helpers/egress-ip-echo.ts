/**
 * @module The Worker's own `GET /agent/egress-ip` route (src/http/routes/agent.ts), served from
 * Node on loopback for the agents the tests start as processes: the Worker under test runs inside
 * vitest's workerd, which agent processes cannot call. In front of it stands what Cloudflare's
 * edge (and Miniflare, locally) does: `CF-Connecting-IP` set from the connecting socket. Agents
 * that probe from their own source address call from it too, so each "node" gets its own IP.
 */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import type { Deps } from '../../src/app/deps.ts'
import type { AppEnv } from '../../src/http/app.ts'
import { AppError, errorResponse } from '../../src/http/errors.ts'
import { agentRoutes } from '../../src/http/routes/agent.ts'

/** The parts of a Node server this file uses. */
interface NodeServer {
	once(event: 'error', listener: (error: Error) => void): unknown
	close(callback: (error?: Error) => void): unknown
	closeAllConnections?: () => void
}

/** A running echo. */
export interface EgressIpEcho {
	url: string
	port: number
	/** Requests received so far. */
	hits(): number
	close(): Promise<void>
}

/** Serves the route with AGENT_SECRET `secret` on 127.0.0.1. */
export async function serveEgressIpEcho(options: { secret: string }): Promise<EgressIpEcho> {
	const deps = { agentSecret: options.secret, now: () => Date.now() } as Partial<Deps> as Deps
	const app = new Hono<AppEnv>()
		.use(async (c, next) => {
			c.set('deps', deps)
			await next()
		})
		.route('/', agentRoutes)
		.onError((e) =>
			e instanceof AppError
				? errorResponse(e.code, e.message, 'egress-ip-echo')
				: errorResponse('internal', 'internal error', 'egress-ip-echo'),
		)
	let hits = 0
	const { server, port } = await new Promise<{ server: NodeServer; port: number }>(
		(resolve, reject) => {
			const server: NodeServer = serve(
				{
					fetch: (request: Request, env: { incoming: { socket: { remoteAddress?: string } } }) => {
						hits++
						const headers = new Headers(request.headers)
						const from = (env.incoming.socket.remoteAddress ?? '').replace(/^::ffff:/, '')
						headers.set('cf-connecting-ip', from)
						// The route reads no body: a GET rebuilt with the edge's header is the whole request.
						return app.fetch(new Request(request.url, { method: request.method, headers }))
					},
					port: 0,
					hostname: '127.0.0.1',
					overrideGlobalObjects: false,
				},
				(info: { port: number }) => resolve({ server, port: info.port }),
			)
			server.once('error', reject)
		},
	)
	return {
		url: `http://127.0.0.1:${port}`,
		port,
		hits: () => hits,
		close: () =>
			new Promise<void>((resolve, reject) => {
				server.close((error) => (error ? reject(error) : resolve()))
				server.closeAllConnections?.()
			}),
	}
}
