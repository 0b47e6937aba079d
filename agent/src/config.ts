/**
 * @module The agent's configuration, read once from the environment and validated with zod.
 * A bad value stops the process at start with a message naming the variable; secrets are
 * never echoed.
 */
import { isIP } from 'node:net'
import { z } from 'zod'
import { AGENT_MAX_TARGETS, AGENT_TIMEOUT_BOUNDS_MS } from '../../src/contracts/agent.ts'
import { normaliseHost } from '../../src/contracts/agent-signing.ts'
import { parseRange, type Range } from './addresses.ts'

/** Where the peers come from. */
export type PeerSource =
	| { kind: 'static'; urls: string[] }
	| { kind: 'dns'; service: string; port: number }

/** The validated configuration. */
export interface AgentConfig {
	host: string
	port: number
	nodeName: string
	/** Current secret first, then AGENT_SECRET_PREVIOUS while a rotation is in progress. */
	secrets: string[]
	peers: PeerSource
	/** This pod's own IP, dropped from the peer list (downward API `status.podIP`). */
	podIp: string | undefined
	/** The local address probes connect from (a multi-homed node's egress interface); default: the OS picks. */
	sourceAddress: string | undefined
	/** Link-local or metadata ranges the operator lets probes reach (AGENT_ALLOW_ADDRESSES). */
	allowedAddresses: Range[]
	defaultTimeoutMs: number
	maxConcurrency: number
	maxTargets: number
	maxBodyBytes: number
	peerGraceMs: number
	/** The Worker's base URL, asked for this node's public egress IP (AGENT_WORKER_URL). */
	workerUrl: string | undefined
	/** Host names signed requests may be addressed to besides this agent's own addresses. */
	hostnames: string[]
	/** Open connections at most; beyond, requests are answered 503. */
	maxConnections: number
	/** How long a request (headers and body) may take to arrive. */
	requestTimeoutMs: number
	shutdownTimeoutMs: number
	logLevel: 'debug' | 'info' | 'warn' | 'error'
}

const int = (min: number, max: number) =>
	z
		.string()
		.trim()
		.regex(/^[0-9]+$/, 'must be a whole number')
		.transform(Number)
		.pipe(z.number().int().min(min).max(max))

const hostname = z
	.string()
	.trim()
	.regex(
		/^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$/,
		'must be a DNS name',
	)

/** A base URL: scheme, host, port; no credentials, path or query. */
const baseUrl = z
	.string()
	.trim()
	.transform((raw, ctx) => {
		let url: URL
		try {
			url = new URL(raw)
		} catch {
			ctx.addIssue({ code: 'custom', message: `"${raw}" is not a URL` })
			return z.NEVER
		}
		if (url.protocol !== 'http:' && url.protocol !== 'https:') {
			ctx.addIssue({ code: 'custom', message: `"${raw}" must be http:// or https://` })
			return z.NEVER
		}
		if (url.username || url.password) {
			ctx.addIssue({ code: 'custom', message: 'a URL must not carry credentials' })
			return z.NEVER
		}
		if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
			ctx.addIssue({
				code: 'custom',
				message: `"${raw}" must be a base URL (scheme, host, port; no path or query)`,
			})
			return z.NEVER
		}
		return url.origin
	})

const envSchema = z.object({
	AGENT_HOST: z
		.string()
		.trim()
		.refine((v) => isIP(v) !== 0, 'must be an IP address to listen on')
		.default('0.0.0.0'),
	AGENT_PORT: int(0, 65535).default(8787),
	NODE_NAME: z
		.string({ error: 'is required (in Kubernetes: the downward API field spec.nodeName)' })
		.trim()
		.regex(/^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/, 'must be a node name'),
	AGENT_SECRET: z
		.string({ error: 'is required (the HMAC secret shared with the Worker)' })
		.min(16, 'must be at least 16 characters'),
	AGENT_SECRET_PREVIOUS: z.string().min(16, 'must be at least 16 characters').optional(),
	AGENT_PEERS: z.string().optional(),
	AGENT_PEER_SERVICE: hostname.optional(),
	AGENT_PEER_PORT: int(1, 65535).optional(),
	POD_IP: z
		.string()
		.trim()
		.refine((v) => v === '' || isIP(v) !== 0, 'must be an IP address')
		.optional(),
	AGENT_SOURCE_ADDRESS: z
		.string()
		.trim()
		.refine((v) => isIP(v) !== 0, 'must be an IP address of this node')
		.optional(),
	AGENT_ALLOW_ADDRESSES: z
		.string()
		.transform((raw, ctx) => {
			const ranges: Range[] = []
			for (const item of raw.split(',')) {
				if (item.trim() === '') {
					continue
				}
				const range = parseRange(item)
				if (!range) {
					ctx.addIssue({ code: 'custom', message: `"${item.trim()}" is not an address or CIDR` })
					return z.NEVER
				}
				ranges.push(range)
			}
			return ranges
		})
		.optional(),
	AGENT_DEFAULT_TIMEOUT_MS: int(AGENT_TIMEOUT_BOUNDS_MS.min, AGENT_TIMEOUT_BOUNDS_MS.max).default(
		5000,
	),
	AGENT_MAX_CONCURRENCY: int(1, 1024).default(64),
	AGENT_MAX_TARGETS: int(1, AGENT_MAX_TARGETS).default(AGENT_MAX_TARGETS),
	AGENT_MAX_BODY_BYTES: int(1024, 10 * 1024 * 1024).default(64 * 1024),
	AGENT_PEER_GRACE_MS: int(0, 30_000).default(1000),
	AGENT_WORKER_URL: baseUrl.optional(),
	AGENT_HOSTNAMES: z
		.string()
		.transform((raw, ctx) => {
			const names: string[] = []
			for (const item of raw.split(',').map((n) => n.trim())) {
				if (item === '') {
					continue
				}
				const name = hostOf(item)
				if (name === undefined) {
					ctx.addIssue({
						code: 'custom',
						message: `"${item}" must be a host name, optionally with :port (the host of the Worker's AGENT_URL)`,
					})
					return z.NEVER
				}
				names.push(name)
			}
			return names
		})
		.optional(),
	AGENT_MAX_CONNECTIONS: int(1, 65_535).default(128),
	AGENT_REQUEST_TIMEOUT_MS: int(1000, 120_000).default(10_000),
	AGENT_SHUTDOWN_TIMEOUT_MS: int(100, 600_000).default(20_000),
	AGENT_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
})

/** `host[:port]` normalised as callers sign it, or undefined when it is not just that. */
function hostOf(text: string): string | undefined {
	try {
		const url = new URL(`http://${text}`)
		const bare = !url.username && !url.password && url.pathname === '/' && !url.search && !url.hash
		return bare && !text.includes('/') ? normaliseHost(text) : undefined
	} catch {
		return undefined
	}
}

/**
 * The names a signed request may be addressed to: the configured AGENT_HOSTNAMES, plus this
 * agent's own addresses at the port it listens on (how peers call it: POD_IP, or AGENT_HOST when
 * it is a specific address) and loopback (local runs). Nothing else: a request signed for
 * another agent is refused here.
 */
export function acceptedHosts(config: AgentConfig, port: number): string[] {
	const at = (address: string) =>
		normaliseHost(isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`)
	const own = ['127.0.0.1', 'localhost', '::1', config.podIp, config.host]
		.filter((a): a is string => a !== undefined && a !== '0.0.0.0' && a !== '::')
		.map(at)
	return [...new Set([...config.hostnames, ...own])]
}

/** Reads and validates the configuration; every problem is listed, named by its variable. */
export function loadConfig(
	env: Record<string, string | undefined>,
): { ok: true; config: AgentConfig } | { ok: false; problems: string[] } {
	// An empty variable counts as unset, except AGENT_PEERS where empty means "no peers".
	const cleaned = Object.fromEntries(
		Object.entries(env).filter(([k, v]) => v !== '' || k === 'AGENT_PEERS'),
	)
	const parsed = envSchema.safeParse(cleaned)
	const problems = parsed.success
		? []
		: parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}`)
	const hasStatic = cleaned.AGENT_PEERS !== undefined
	const hasDns = cleaned.AGENT_PEER_SERVICE !== undefined
	if (hasStatic && hasDns) {
		problems.push('AGENT_PEERS: set either AGENT_PEERS or AGENT_PEER_SERVICE, not both')
	}
	if (!hasStatic && !hasDns) {
		problems.push(
			'AGENT_PEER_SERVICE: set AGENT_PEER_SERVICE (the headless Service DNS name) or AGENT_PEERS (comma-separated base URLs; empty for a single agent)',
		)
	}
	if (!parsed.success || problems.length > 0) {
		return { ok: false, problems }
	}
	const e = parsed.data
	let peers: PeerSource
	if (e.AGENT_PEER_SERVICE) {
		peers = {
			kind: 'dns',
			service: e.AGENT_PEER_SERVICE,
			port: e.AGENT_PEER_PORT ?? (e.AGENT_PORT || 8787),
		}
	} else {
		const urls: string[] = []
		const problems: string[] = []
		for (const raw of (e.AGENT_PEERS ?? '').split(',')) {
			if (raw.trim() === '') {
				continue
			}
			const url = baseUrl.safeParse(raw)
			if (url.success) {
				if (!urls.includes(url.data)) {
					urls.push(url.data)
				}
			} else {
				problems.push(...url.error.issues.map((i) => `AGENT_PEERS: ${i.message}`))
			}
		}
		if (problems.length > 0) {
			return { ok: false, problems }
		}
		peers = { kind: 'static', urls }
	}
	return {
		ok: true,
		config: {
			host: e.AGENT_HOST,
			port: e.AGENT_PORT,
			nodeName: e.NODE_NAME,
			secrets: e.AGENT_SECRET_PREVIOUS
				? [e.AGENT_SECRET, e.AGENT_SECRET_PREVIOUS]
				: [e.AGENT_SECRET],
			peers,
			podIp: e.POD_IP || undefined,
			sourceAddress: e.AGENT_SOURCE_ADDRESS,
			allowedAddresses: e.AGENT_ALLOW_ADDRESSES ?? [],
			defaultTimeoutMs: e.AGENT_DEFAULT_TIMEOUT_MS,
			maxConcurrency: e.AGENT_MAX_CONCURRENCY,
			maxTargets: e.AGENT_MAX_TARGETS,
			maxBodyBytes: e.AGENT_MAX_BODY_BYTES,
			peerGraceMs: e.AGENT_PEER_GRACE_MS,
			workerUrl: e.AGENT_WORKER_URL,
			hostnames: e.AGENT_HOSTNAMES ?? [],
			maxConnections: e.AGENT_MAX_CONNECTIONS,
			requestTimeoutMs: e.AGENT_REQUEST_TIMEOUT_MS,
			shutdownTimeoutMs: e.AGENT_SHUTDOWN_TIMEOUT_MS,
			logLevel: e.AGENT_LOG_LEVEL,
		},
	}
}
