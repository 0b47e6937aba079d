/**
 * @module The GitHub stand-in as a real HTTP server on loopback (for `npm start`, the demo and CLI
 * tests). Also a command:
 *
 *   node test/standins/github/server.ts --port 8789 [--host 127.0.0.1] [--repo owner/name[:branch]]…
 *     [--token T] [--hook-id N] [--webhook-url URL] [--webhook-secret S] [--content-type json|form]
 *     [--public-url URL]
 *
 * which prints one line, `github-standin listening on <url>`, and runs until SIGINT/SIGTERM.
 * This file is also type-checked by the Worker program (no Node types there), hence the small
 * structural types instead of `node:` imports.
 */
import { serve } from '@hono/node-server'
import {
	createGitHubStandin,
	type GitHubStandin,
	type GitHubStandinOptions,
	type GitHubStandinRepository,
} from './standin.ts'

/** Options of `serveGitHubStandin`: the stand-in's options plus where to listen. */
export interface ServeGitHubStandinOptions extends GitHubStandinOptions {
	/** Default 0: any free port. */
	port?: number
	/** Default `127.0.0.1`. */
	host?: string
}

/** A running stand-in server. */
export interface RunningGitHubStandin {
	/** Base URL, e.g. `http://127.0.0.1:8789` (use it as `GITHUB_API_BASE_URL`). */
	url: string
	standin: GitHubStandin
	/** Stops listening, drops open connections and waits for background deliveries. */
	close(): Promise<void>
}

/** The parts of a Node server this file uses. */
interface NodeServer {
	once(event: 'error', listener: (error: Error) => void): unknown
	close(callback: (error?: Error) => void): unknown
	closeAllConnections?: () => void
}

/** The parts of `process` this file uses. */
interface NodeProcess {
	argv: string[]
	exitCode?: number | string | undefined
	on(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown
	exit(code?: number): never
	stdout: { write(text: string): boolean }
	stderr: { write(text: string): boolean }
}

/** Starts the stand-in on `host:port`; resolves once it is listening. */
export async function serveGitHubStandin(
	options: ServeGitHubStandinOptions = {},
): Promise<RunningGitHubStandin> {
	const { port = 0, host = '127.0.0.1', ...standinOptions } = options
	const standin = createGitHubStandin(standinOptions)
	await standin.ready
	const { server, boundPort } = await new Promise<{ server: NodeServer; boundPort: number }>(
		(resolve, reject) => {
			const server: NodeServer = serve(
				{
					fetch: (request: Request) => standin.fetch(request),
					port,
					hostname: host,
					// Leave the process's global Request/Response alone: tests share this process.
					overrideGlobalObjects: false,
				},
				(info: { port: number }) => resolve({ server, boundPort: info.port }),
			)
			server.once('error', reject)
		},
	)
	const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`
	if (options.publicUrl === undefined) {
		standin.setPublicUrl(url)
	}
	return {
		url,
		standin,
		async close() {
			await standin.settled()
			await new Promise<void>((resolve, reject) => {
				server.close((error) => (error ? reject(error) : resolve()))
				server.closeAllConnections?.()
			})
		},
	}
}

/** Parses the command line into server options; throws on anything unknown. */
export function parseServerArgs(argv: string[]): ServeGitHubStandinOptions {
	const options: ServeGitHubStandinOptions = {}
	const repositories: GitHubStandinRepository[] = []
	const webhook: NonNullable<GitHubStandinOptions['webhook']> = {}
	for (let i = 0; i < argv.length; i++) {
		const flag = argv[i] ?? ''
		const [name, inline] = flag.includes('=') ? flag.split(/=(.*)/s, 2) : [flag, undefined]
		const value = (): string => {
			const next = inline ?? argv[++i]
			if (next === undefined || next === '') {
				throw new Error(`${name} needs a value`)
			}
			return next
		}
		const int = (): number => {
			const text = value()
			const parsed = Number(text)
			if (!Number.isInteger(parsed) || parsed < 0) {
				throw new Error(`${name} needs a non-negative integer, got ${text}`)
			}
			return parsed
		}
		switch (name) {
			case '--port':
				options.port = int()
				break
			case '--host':
				options.host = value()
				break
			case '--repo': {
				const [fullName = '', defaultBranch] = value().split(':')
				repositories.push(defaultBranch ? { fullName, defaultBranch } : { fullName })
				break
			}
			case '--token':
				options.token = value()
				break
			case '--hook-id':
				options.hookId = int()
				break
			case '--webhook-url':
				webhook.url = value()
				break
			case '--webhook-secret':
				webhook.secret = value()
				break
			case '--content-type': {
				const type = value()
				if (type !== 'json' && type !== 'form') {
					throw new Error(`--content-type is json or form, got ${type}`)
				}
				webhook.contentType = type
				break
			}
			case '--public-url':
				options.publicUrl = value()
				break
			default:
				throw new Error(`unknown argument ${flag}`)
		}
	}
	if (repositories.length > 0) {
		options.repositories = repositories
	}
	if (Object.keys(webhook).length > 0) {
		options.webhook = webhook
	}
	return options
}

async function main(process: NodeProcess): Promise<void> {
	let options: ServeGitHubStandinOptions
	try {
		options = parseServerArgs(process.argv.slice(2))
	} catch (error) {
		process.stderr.write(`github-standin: ${error instanceof Error ? error.message : error}\n`)
		process.exitCode = 2
		return
	}
	const running = await serveGitHubStandin(options)
	process.stdout.write(`github-standin listening on ${running.url}\n`)
	const stop = () => {
		running.close().then(
			() => process.exit(0),
			() => process.exit(1),
		)
	}
	process.on('SIGINT', stop)
	process.on('SIGTERM', stop)
}

if ((import.meta as ImportMeta & { main?: boolean }).main) {
	await main((globalThis as unknown as { process: NodeProcess }).process)
}
