// Helpers for the egress tests: the loopback world (test/helpers/egress-global-setup.ts), real
// Worker dependencies pointed at it, a tidegate.yaml builder and a clean slate per test.
import { env } from 'cloudflare:workers'
import { inject } from 'vitest'
import type { Deps } from '../../../src/app/deps.ts'
import type { EgressCheckOptions } from '../../../src/app/egress/check.ts'
import type { JobMessage } from '../../../src/contracts/queue.ts'
import { buildDeps } from '../../../workers/deps.ts'
import type { EgressTestNetwork } from '../../helpers/egress-network.ts'
import { DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID } from '../../standins/cloudflare/seed.ts'
import type { Edge } from './network.ts'

/** What globalSetup started. */
export const net: EgressTestNetwork = inject('egress')

/**
 * Short timeouts for tests: the cut-off node's probe times out after 800 ms, and the agent's
 * peers get 500 ms more (AGENT_PEER_GRACE_MS in the test agents), well inside the call timeout.
 */
export const FAST: Partial<EgressCheckOptions> = { probeTimeoutMs: 800, agentGraceMs: 1500 }

/** The Worker's real dependencies with some configuration changed, and the queue recorded. */
export function egressDeps(overrides: Partial<Record<keyof Env, string>> = {}): {
	deps: Deps
	sent: JobMessage[]
} {
	const deps = buildDeps({ ...env, ...overrides } as Env)
	const sent: JobMessage[] = []
	deps.jobs = {
		send: async (message) => {
			sent.push(message)
		},
		sendBatch: async (messages) => {
			sent.push(...messages)
		},
	}
	return { deps, sent }
}

/** The alert texts sent so far. */
export const alerts = (sent: JobMessage[]): string[] =>
	sent.flatMap((m) => (m.kind === 'alert' && m.source === 'egress' ? [m.text] : []))

/** Forgets every egress check, sample, track and outage. */
export async function resetEgress(): Promise<void> {
	await env.DB.batch([
		env.DB.prepare('DELETE FROM egress_samples'),
		env.DB.prepare('DELETE FROM egress_checks'),
		env.DB.prepare('DELETE FROM egress_tracks'),
		env.DB.prepare('DELETE FROM egress_outages'),
	])
}

/** One `egress.targets` entry. */
export interface TargetSpec {
	name: string
	host?: string
	port: number
	probe?: 'tcp' | 'tls' | 'postgres' | 'http'
}

/** tidegate.yaml with an egress section (and optionally ingress rules). */
export function egressYaml(options: {
	targets?: TargetSpec[]
	expect?: { target: string; nodes: 'all' | string[] }[]
	ingress?: { hostname: string; service: string }[]
	checkIngressTargets?: boolean
}): string {
	const targets = (options.targets ?? [])
		.map(
			(t) =>
				`    - name: ${t.name}\n      host: ${t.host ?? '127.0.0.1'}\n      port: ${t.port}\n      probe: ${t.probe ?? 'tcp'}`,
		)
		.join('\n')
	const expect = (options.expect ?? [])
		.map(
			(e) =>
				`    - target: ${e.target}\n      nodes: ${e.nodes === 'all' ? 'all' : `[${e.nodes.join(', ')}]`}`,
		)
		.join('\n')
	const ingress = (options.ingress ?? [])
		.map((r) => `    - hostname: ${r.hostname}\n      service: ${r.service}`)
		.join('\n')
	return `version: 1
owner: oceanid
tunnel:
  accountId: ${DEFAULT_ACCOUNT_ID}
  tunnelId: ${DEFAULT_TUNNEL_ID}
  ingress:
${ingress || '    - hostname: label.example.com\n      service: http_status:404'}
egress:
  targets:${targets ? `\n${targets}` : ' []'}
  expect:${expect ? `\n${expect}` : ' []'}
  checkIngressTargets: ${options.checkIngressTargets ?? false}
`
}

/** Makes `text` the tidegate.yaml at the tracked branch's head. */
export async function commitYaml(edge: Edge, text: string): Promise<string> {
	const pushed = await edge.github.push({ files: { 'tidegate.yaml': text }, delivery: 'skip' })
	return pushed.sha
}

/** The seed's world: the database (one node cut off), a service every node can reach. */
export const SEED_TARGETS: TargetSpec[] = [
	{ name: 'labelfish-db', port: net.ports.db, probe: 'postgres' },
	{ name: 'app', port: net.ports.app, probe: 'http' },
]

/** Rows of a table, for assertions. */
export async function rows<T>(sql: string, ...binds: unknown[]): Promise<T[]> {
	const { results } = await env.DB.prepare(sql)
		.bind(...binds)
		.all<T>()
	return results
}
