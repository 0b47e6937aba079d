/**
 * @module Entry point: `node agent/src/main.ts`. Reads the configuration (exit 1 with a message
 * naming each bad variable), listens, and on SIGTERM or SIGINT stops accepting, finishes the
 * requests in flight and exits 0 (1 if they outlast AGENT_SHUTDOWN_TIMEOUT_MS).
 */
import type { AddressInfo } from 'node:net'
import { loadConfig } from './config.ts'
import { createLogger } from './log.ts'
import { startServer } from './server.ts'

const loaded = loadConfig(process.env)
if (!loaded.ok) {
	process.stderr.write(
		`${JSON.stringify({
			time: new Date().toISOString(),
			level: 'error',
			event: 'config-invalid',
			message: `tidegate-agent: invalid configuration: ${loaded.problems.join('; ')}`,
			problems: loaded.problems,
		})}\n`,
	)
	process.exit(1)
}
const config = loaded.config
const log = createLogger({ node: config.nodeName, level: config.logLevel })

process.on('uncaughtException', (error) => {
	log.log('error', 'uncaught-exception', { message: error.message, stack: error.stack })
	process.exit(1)
})

let agent: Awaited<ReturnType<typeof startServer>>
try {
	agent = await startServer(config, log)
} catch (error) {
	log.log('error', 'listen-failed', {
		message: error instanceof Error ? error.message : String(error),
		host: config.host,
		port: config.port,
	})
	process.exit(1)
}

let stopping = false
function stop(signal: string) {
	if (stopping) {
		return
	}
	stopping = true
	log.log('info', 'stopping', { signal })
	const force = setTimeout(() => {
		log.log('error', 'shutdown-timeout', { afterMs: config.shutdownTimeoutMs })
		process.exit(1)
	}, config.shutdownTimeoutMs)
	force.unref()
	void agent.shutdown().then(() => {
		log.log('info', 'stopped', {})
		process.exit(0)
	})
}
process.on('SIGTERM', () => stop('SIGTERM'))
process.on('SIGINT', () => stop('SIGINT'))

// Logged once the signal handlers are in place: a supervisor may stop us as soon as it reads this.
const address = agent.server.address() as AddressInfo
log.log('info', 'listening', {
	host: address.address,
	port: address.port,
	peers:
		config.peers.kind === 'static'
			? { source: 'static', count: config.peers.urls.length }
			: { source: 'dns', service: config.peers.service, port: config.peers.port },
	defaultTimeoutMs: config.defaultTimeoutMs,
	maxConcurrency: config.maxConcurrency,
	maxConnections: config.maxConnections,
	requestTimeoutMs: config.requestTimeoutMs,
	hostnames: config.hostnames,
	workerUrl: config.workerUrl ?? null,
	allowedAddresses: config.allowedAddresses.map(
		([address, bits]) => `${address.toString()}/${bits}`,
	),
	secrets: config.secrets.length,
})
