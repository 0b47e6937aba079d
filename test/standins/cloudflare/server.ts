/**
 * @module The Cloudflare stand-in as a real HTTP server on loopback (Node, @hono/node-server), for
 * `npm start` and the CLI tests. Also a script:
 *   node test/standins/cloudflare/server.ts [--port 8788] [--host 127.0.0.1] [--seed seed.json]
 * prints one line, `cloudflare-standin listening on <url>`; the API base is `<url>/client/v4`.
 */
import { serve } from '@hono/node-server'
import { API_BASE_PATH } from './faults.ts'
import type { CloudflareStandinSeed } from './seed.ts'
import { cloudflareSeedSchema } from './seed.ts'
import {
	type CloudflareStandin,
	type CloudflareStandinOptions,
	createCloudflareStandin,
} from './standin.ts'

/** Where to listen, plus the stand-in's seed. */
export interface ServeCloudflareStandinOptions extends CloudflareStandinOptions {
	/** 0 (the default) picks a free port. */
	port?: number
	host?: string
}

/** A running stand-in server. */
export interface RunningCloudflareStandin {
	/** `http://<host>:<port>`, no trailing slash. */
	url: string
	/** `<url>/client/v4`: the SDK's `baseURL`, tidegate's `CF_API_BASE_URL`. */
	apiBaseUrl: string
	standin: CloudflareStandin
	close(): Promise<void>
}

/** Starts the stand-in on loopback; resolves once it listens. */
export function serveCloudflareStandin(
	options: ServeCloudflareStandinOptions = {},
): Promise<RunningCloudflareStandin> {
	const { port = 0, host = '127.0.0.1', ...standinOptions } = options
	const standin = createCloudflareStandin(standinOptions)
	return new Promise((resolve, reject) => {
		const server = serve({ fetch: standin.fetch, port, hostname: host }, (info) => {
			const shown = host.includes(':') ? `[${host}]` : host
			const url = `http://${shown}:${info.port}`
			resolve({
				url,
				apiBaseUrl: `${url}${API_BASE_PATH}`,
				standin,
				close: () =>
					new Promise<void>((done, fail) => {
						server.close((e?: Error) => (e ? fail(e) : done()))
						// Keep-alive sockets (the SDK's) would hold close() open.
						if ('closeAllConnections' in server) {
							server.closeAllConnections()
						}
					}),
			})
		})
		server.once('error', reject)
	})
}

// ---------------------------------------------------------------------------------------------
// Script entry. This file is also type-checked by the Worker program (no Node types), so the few
// Node globals it needs are declared here rather than imported.

interface NodeProcess {
	argv: string[]
	exitCode?: number
	on(signal: 'SIGINT' | 'SIGTERM', listener: () => void): void
	getBuiltinModule(id: 'node:fs'): { readFileSync(path: string, encoding: 'utf8'): string }
}

const nodeProcess = (globalThis as { process?: NodeProcess }).process

/** Parses `--port`, `--host`, `--seed` (reading and checking the seed file). */
export function parseServerArgs(
	argv: readonly string[],
	readFile: (path: string) => string,
): ServeCloudflareStandinOptions {
	const options: ServeCloudflareStandinOptions = { port: 8788 }
	for (let i = 0; i < argv.length; i++) {
		const flag = argv[i]
		const value = argv[i + 1]
		if (flag !== '--port' && flag !== '--host' && flag !== '--seed') {
			throw new Error(
				`unknown argument ${flag}; usage: server.ts [--port N] [--host H] [--seed file.json]`,
			)
		}
		if (value === undefined) {
			throw new Error(`${flag} needs a value`)
		}
		i++
		if (flag === '--port') {
			options.port = Number(value)
			if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
				throw new Error(`--port ${value} is not a port number`)
			}
		} else if (flag === '--host') {
			options.host = value
		} else {
			const parsed = cloudflareSeedSchema.safeParse(JSON.parse(readFile(value)))
			if (!parsed.success) {
				throw new Error(`--seed ${value}: ${parsed.error.message}`)
			}
			Object.assign(options, parsed.data as CloudflareStandinSeed)
		}
	}
	return options
}

if ((import.meta as { main?: boolean }).main === true && nodeProcess !== undefined) {
	const node = nodeProcess
	const fs = node.getBuiltinModule('node:fs')
	try {
		const running = await serveCloudflareStandin(
			parseServerArgs(node.argv.slice(2), (path) => fs.readFileSync(path, 'utf8')),
		)
		console.log(`cloudflare-standin listening on ${running.url}`)
		const stop = () => {
			void running.close()
		}
		node.on('SIGINT', stop)
		node.on('SIGTERM', stop)
	} catch (e) {
		console.error(`cloudflare-standin: ${(e as Error).message}`)
		node.exitCode = 1
	}
}
