/**
 * @module The local stack's shape, shared by `npm start` and `npm run demo`: where everything
 * listens, and the secrets generated on first run (kept in .tidegate/, never committed).
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
/** Local state: secrets and wrangler's D1/KV/Queue persistence (TIDEGATE_STATE_DIR overrides, e.g. for tests). */
export const STATE_DIR = process.env.TIDEGATE_STATE_DIR ?? join(ROOT, '.tidegate')

// TIDEGATE_PORT_OFFSET moves the whole stack, so tests can run beside a developer's `npm start`.
const offset = Number(process.env.TIDEGATE_PORT_OFFSET ?? 0)

/** Loopback ports of the local stack. */
export const PORTS = {
	worker: 8787 + offset,
	cloudflare: 8788 + offset,
	github: 8789 + offset,
	alerts: 8790 + offset,
	labelStudio: 8085 + offset,
	postgres: 15432 + offset,
	agents: [8801 + offset, 8802 + offset, 8803 + offset],
} as const

/** The three "nodes", each an agent process; the GPU node's probes leave from an address the database drops. */
export const NODES = [
	{ name: 'k3s-control', port: PORTS.agents[0], source: '127.0.0.1' },
	{ name: 'k3s-worker', port: PORTS.agents[1], source: '127.0.0.2' },
	{ name: 'calypso-gpu', port: PORTS.agents[2], source: '127.0.0.3' },
] as const

/** The address the managed-Postgres stand-in's allowlist drops (the seed's node firewall). */
export const CUT_OFF_SOURCE = '127.0.0.3'

/** The repository the GitHub stand-in hosts. */
export const REPOSITORY = 'oceanid/gitops'

/** Base URLs. */
export const URLS = {
	worker: `http://127.0.0.1:${PORTS.worker}`,
	cloudflareApi: `http://127.0.0.1:${PORTS.cloudflare}/client/v4`,
	cloudflare: `http://127.0.0.1:${PORTS.cloudflare}`,
	github: `http://127.0.0.1:${PORTS.github}`,
	alerts: `http://127.0.0.1:${PORTS.alerts}/hooks/local`,
	agent: `http://127.0.0.1:${PORTS.agents[0]}`,
}

/** Secrets of the local stack. */
export interface LocalSecrets {
	adminToken: string
	githubWebhookSecret: string
	fluxWebhookSecret: string
	agentSecret: string
	tunnelToken: string
	zeroTrustToken: string
	/** Zone › DNS › Edit on the stand-in's zone (`example.com`). */
	dnsToken: string
	githubToken: string
}

// 24 random bytes: 32 characters, the Worker's minimum for shared secrets (src/app/config.ts).
const token = (prefix: string) => `${prefix}-${randomBytes(24).toString('base64url')}`

/**
 * Reads the local secrets, generating them on first run. A state directory from before a secret
 * existed gets the missing one generated and saved, and so does one shorter than the Worker's
 * minimum of 32 characters (older versions made shorter ones); the others are kept.
 */
export function localSecrets(): LocalSecrets {
	const file = join(STATE_DIR, 'secrets.json')
	const stored = existsSync(file)
		? (JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalSecrets>)
		: {}
	const saved = Object.fromEntries(
		Object.entries(stored).filter(([, value]) => typeof value === 'string' && value.length >= 32),
	) as Partial<LocalSecrets>
	const secrets: LocalSecrets = {
		adminToken: saved.adminToken ?? token('admin'),
		githubWebhookSecret: saved.githubWebhookSecret ?? token('ghwh'),
		fluxWebhookSecret: saved.fluxWebhookSecret ?? token('flux'),
		agentSecret: saved.agentSecret ?? token('agent'),
		tunnelToken: saved.tunnelToken ?? token('cf-tunnel'),
		zeroTrustToken: saved.zeroTrustToken ?? token('cf-zt'),
		dnsToken: saved.dnsToken ?? token('cf-dns'),
		githubToken: saved.githubToken ?? token('ghp'),
	}
	if (Object.keys(secrets).some((key) => !(key in saved))) {
		mkdirSync(STATE_DIR, { recursive: true })
		writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 })
	}
	return secrets
}

/** The Worker's variables and secrets for `wrangler dev --env-file`. */
export function workerEnv(secrets: LocalSecrets): Record<string, string> {
	return {
		CF_API_BASE_URL: URLS.cloudflareApi,
		GITHUB_API_BASE_URL: URLS.github,
		GITHUB_REPOSITORY: REPOSITORY,
		GITHUB_BRANCH: 'main',
		TIDEGATE_CONFIG_PATH: 'tidegate.yaml',
		AGENT_URL: URLS.agent,
		PUBLIC_URL: URLS.worker,
		ALERT_WEBHOOK_URL: URLS.alerts,
		ADMIN_TOKEN: secrets.adminToken,
		AGENT_SECRET: secrets.agentSecret,
		CF_TUNNEL_API_TOKEN: secrets.tunnelToken,
		CF_ZERO_TRUST_API_TOKEN: secrets.zeroTrustToken,
		// wrangler feeds it to the Worker once wrangler.toml declares it (a secret or a var).
		CF_DNS_API_TOKEN: secrets.dnsToken,
		FLUX_WEBHOOK_SECRET: secrets.fluxWebhookSecret,
		GITHUB_TOKEN: secrets.githubToken,
		GITHUB_WEBHOOK_SECRET: secrets.githubWebhookSecret,
	}
}

/** examples/local/tidegate.yaml with its loopback ports moved by TIDEGATE_PORT_OFFSET. */
export function localDesiredState(): string {
	return readFileSync(join(ROOT, 'examples/local/tidegate.yaml'), 'utf8')
		.replaceAll('127.0.0.1:8801', `127.0.0.1:${PORTS.agents[0]}`)
		.replaceAll('127.0.0.1:8085', `127.0.0.1:${PORTS.labelStudio}`)
		.replace(/port: 15432\b/, `port: ${PORTS.postgres}`)
}
