/**
 * @module Vitest globalSetup of the integration project: the loopback world the Worker's egress
 * tests talk to for real. Three agent processes (`node agent/src/main.ts`) are the nodes, each
 * probing from its own loopback source address; the database's firewall drops one of them, as
 * the seed's did. Beside them: a lone agent whose peer is down, the services the targets point
 * at, and "impostors" that answer the Worker the ways a broken path to an agent does (HTML, garbage,
 * silence, ...), and the Worker's egress-IP echo the agents learn their node's public IP from (each
 * calls it from its source address, so each node has its own). Everything is handed to
 * vitest.config.ts and the tests with `provide`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestProject } from 'vitest/node'
import {
	AGENT_RESPONSE_SIGNATURE_HEADER,
	AGENT_SIGNATURE_HEADER,
	signAgentResponse,
	signatureHex,
} from '../../src/contracts/agent-signing.ts'
import { startAgent, type TestAgent } from '../agent/helpers/agents.ts'
import { freePort } from '../agent/helpers/net.ts'
import {
	type Listening,
	serveHttpService,
	servePostgresStandin,
} from '../standins/local/services.ts'
import { serveEgressIpEcho } from './egress-ip-echo.ts'
import type { EgressTestNetwork } from './egress-network.ts'

/** The integration project's AGENT_SECRET (vitest.config.ts); agents need 16+ characters. */
const SECRET = 'test-agent-secret-0123456789abcdef'

const NODES = [
	{ name: 'node-a', source: '127.0.0.2' },
	{ name: 'node-b', source: '127.0.0.3' },
	{ name: 'node-c', source: '127.0.0.4' },
] as const
const CUT_OFF = NODES[2]

/** Starts everything; the returned function stops it. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
	const agents: TestAgent[] = []
	const servers: Listening[] = []
	const stop = async () => {
		for (const agent of agents) {
			agent.kill('SIGTERM')
		}
		await Promise.all([...servers.map((s) => s.close()), ...agents.map((a) => a.exited)])
	}
	try {
		const db = await servePostgresStandin({ port: 0, deny: [CUT_OFF.source] })
		const walled = await servePostgresStandin({ port: 0, deny: NODES.map((n) => n.source) })
		const app = await serveHttpService({ port: 0, name: 'label-studio' })
		const impostors = await serveImpostors()
		// The Worker's egress-IP echo, which every agent asks for its node's public IP.
		const echo = await serveEgressIpEcho({ secret: SECRET })
		servers.push(db, walled, app, impostors, echo)
		const [refused, deadPeer, ...ports] = await Promise.all([
			freePort(),
			freePort(),
			...NODES.map(() => freePort()),
			freePort(),
		])
		const url = (port: number | undefined) => `http://127.0.0.1:${port}`
		const peers = NODES.map((_, i) => url(ports[i]))
		const started = await Promise.all([
			...NODES.map((node, i) =>
				startAgent({
					name: node.name,
					port: ports[i] ?? 0,
					peers,
					env: {
						AGENT_SECRET: SECRET,
						AGENT_SOURCE_ADDRESS: node.source,
						AGENT_WORKER_URL: echo.url,
					},
				}),
			),
			startAgent({
				name: 'node-solo',
				port: ports[NODES.length] ?? 0,
				peers: [url(ports[NODES.length]), url(deadPeer)],
				env: { AGENT_SECRET: SECRET, AGENT_WORKER_URL: echo.url },
			}),
		])
		agents.push(...started)
		const base = `http://127.0.0.1:${impostors.port}`
		const network: EgressTestNetwork = {
			secret: SECRET,
			agentUrl: peers[0] ?? '',
			nodes: NODES.map((n, i) => ({ name: n.name, url: peers[i] ?? '', source: n.source })),
			cutOffNode: CUT_OFF.name,
			ports: { db: db.port, walled: walled.port, app: app.port, refused },
			soloAgentUrl: url(ports[NODES.length]),
			impostors: {
				html: `${base}/html`,
				tunnelError: `${base}/tunnel-error`,
				garbage: `${base}/garbage`,
				array: `${base}/array`,
				invalid: `${base}/invalid`,
				otherRequest: `${base}/other-request`,
				serverError: `${base}/server-error`,
				unsigned: `${base}/unsigned`,
				replayedAnswer: `${base}/replayed-answer`,
				slow: `${base}/slow`,
				huge: `${base}/huge`,
				refused: url(refused),
			},
		}
		project.provide('egress', network)
	} catch (error) {
		await stop()
		throw error
	}
	return stop
}

/**
 * One server, one behaviour per path prefix (`/<kind>/v1/check`). The JSON answers are signed for
 * the request with the shared secret, as an agent that holds it but misbehaves would sign them,
 * except where the impostor stands for something that does not hold it.
 */
async function serveImpostors(): Promise<Listening> {
	const hanging = new Set<ServerResponse>()
	const server = createServer((request: IncomingMessage, response: ServerResponse) => {
		const kind = (request.url ?? '').split('/')[1] ?? ''
		let body = ''
		request.setEncoding('utf8').on('data', (chunk: string) => {
			body += chunk
		})
		request.on('end', async () => {
			const requestId = readRequestId(body)
			const sent = String(request.headers[AGENT_SIGNATURE_HEADER] ?? '')
			const json = async (
				status: number,
				value: string,
				signFor: string | null = signatureHex(sent),
			) => {
				const signature =
					signFor === null
						? {}
						: {
								[AGENT_RESPONSE_SIGNATURE_HEADER]: await signAgentResponse({
									secret: SECRET,
									requestSignature: signFor,
									status,
									body: value,
								}),
							}
				response.writeHead(status, { 'content-type': 'application/json', ...signature })
				response.end(value)
			}
			/** A one-node answer, for `id`, with these results. */
			const answer = (id: string, results: unknown[] = []) =>
				JSON.stringify({
					requestId: id,
					nodes: [
						{
							node: 'node-a',
							reachable: true,
							error: null,
							observedAt: Date.now(),
							durationMs: 1,
							results,
						},
					],
				})
			switch (kind) {
				case 'html':
					// What a Cloudflare Access login page in front of the agent looks like to a script.
					response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
					response.end(
						'<!DOCTYPE html><html><head><title>Sign in</title></head><body></body></html>',
					)
					return
				case 'tunnel-error':
					// cloudflared's 502 page when the agent Service has no ready pod.
					response.writeHead(502, { 'content-type': 'text/html' })
					response.end('<html><body><h1>Bad gateway</h1> Error 502</body></html>')
					return
				case 'unsigned':
					// A perfect answer from something that does not hold the secret.
					await json(200, answer(requestId), null)
					return
				case 'replayed-answer':
					// A genuine signed answer, recorded for another request and played back.
					await json(200, answer(requestId), 'f'.repeat(64))
					return
				case 'garbage':
					await json(200, `{"requestId":"${requestId}","nodes":[{"node":"node-a","reachable":tru`)
					return
				case 'array':
					await json(200, '[]')
					return
				case 'invalid':
					// Well-formed JSON, but a negative latency: the whole answer is refused.
					await json(
						200,
						answer(requestId, [
							{
								target: 'labelfish-db',
								probe: 'postgres',
								ok: false,
								latencyMs: -5,
								error: 'timeout',
								phases: {},
							},
						]),
					)
					return
				case 'other-request':
					// A valid answer, but to another request (a cache or replaying proxy in between).
					await json(200, answer('egress-0-cached'))
					return
				case 'server-error':
					await json(500, '{"error":{"code":"internal","message":"probe pool crashed"}}')
					return
				case 'slow':
					hanging.add(response)
					return
				case 'huge': {
					response.writeHead(200, { 'content-type': 'application/json' })
					const chunk = 'x'.repeat(64 * 1024)
					response.write(`{"requestId":"${requestId}","pad":"`)
					for (let i = 0; i < 40; i++) {
						response.write(chunk)
					}
					response.end('"}')
					return
				}
				default:
					await json(404, '{"error":{"code":"not_found","message":"no such impostor"}}')
			}
		})
	})
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
	return {
		port: (server.address() as AddressInfo).port,
		close: () =>
			new Promise<void>((resolve) => {
				for (const response of hanging) {
					response.destroy()
				}
				server.closeAllConnections()
				server.close(() => resolve())
			}),
	}
}

function readRequestId(body: string): string {
	try {
		const id = (JSON.parse(body) as { requestId?: unknown }).requestId
		return typeof id === 'string' ? id : ''
	} catch {
		return ''
	}
}
