/**
 * No configured secret leaves where it belongs (docs/threat-model.md). After a full run — a push
 * reconciled and reported on the commit, the Flux Receiver told, a failed Cloudflare call, Flux
 * events that alert, an alert that cannot be delivered — every log line, every row of every D1
 * table, every answer of the admin surface and everything the GitHub, Cloudflare, Flux and alert
 * stand-ins received are searched for every secret, including the secret-bearing paths of a
 * Slack-style ALERT_WEBHOOK_URL and of the Flux Receiver's `/hook/<digest>`. Credentials travel
 * only in the request to their own API.
 */
import { env, exports } from 'cloudflare:workers'
import { HttpResponse, http } from 'msw'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { sendAlertJob } from '../../src/app/ops/alerts.ts'
import { buildDeps } from '../../workers/deps.ts'
import {
	commit,
	desiredYaml,
	resetWorld,
	sendPush,
	settled,
	until,
} from '../faults/support/world.ts'
import { DEFAULT_ACCOUNT_ID } from '../standins/cloudflare/seed.ts'
import { fluxEvent, sendAll } from './support/flux.ts'
import { useEdge } from './support/network.ts'

const edge = useEdge()
const config = env as unknown as Env & Record<string, string | undefined>

/** Every secret the tests configure, and the secret parts of the two secret-bearing URLs. */
function secrets(): [string, string][] {
	const names = [
		'ADMIN_TOKEN',
		'ADMIN_TOKEN_PREVIOUS',
		'AGENT_SECRET',
		'CF_TUNNEL_API_TOKEN',
		'CF_ZERO_TRUST_API_TOKEN',
		'CF_DNS_API_TOKEN',
		'FLUX_WEBHOOK_SECRET',
		'FLUX_WEBHOOK_SECRET_PREVIOUS',
		'FLUX_WEBHOOK_TOKEN',
		'FLUX_RECEIVER_SECRET',
		'GITHUB_TOKEN',
		'GITHUB_WEBHOOK_SECRET',
		'GITHUB_WEBHOOK_SECRET_PREVIOUS',
		'ALERT_WEBHOOK_URL',
	]
	const alert = new URL(config.ALERT_WEBHOOK_URL as string)
	const receiver = new URL(config.FLUX_RECEIVER_URL)
	const found: [string, string][] = names.map((name) => [name, config[name] as string])
	found.push(
		['ALERT_WEBHOOK_URL path', alert.pathname],
		['ALERT_WEBHOOK_URL last segment', alert.pathname.split('/').at(-1) as string],
		['FLUX_RECEIVER_URL /hook/<digest>', receiver.pathname],
		['FLUX_RECEIVER_URL digest', receiver.pathname.split('/').at(-1) as string],
	)
	for (const [name, value] of found) {
		expect(value?.length ?? 0, `${name} is configured`).toBeGreaterThanOrEqual(12)
	}
	return found
}

const logs: string[] = []
beforeAll(() => {
	for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
		const original = console[level]
		vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
			logs.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '))
			original(...args)
		})
	}
})
afterAll(() => {
	vi.restoreAllMocks()
})

const ADMIN = { authorization: `Bearer ${config.ADMIN_TOKEN}` }
const answers: string[] = []
async function read(path: string, init: RequestInit = {}): Promise<Response> {
	const res = await exports.default.fetch(
		new Request(`https://tidegate.test${path}`, {
			...init,
			headers: { ...ADMIN, ...(init.headers as Record<string, string>) },
		}),
	)
	answers.push(`${path} ${res.status} ${[...res.headers].join(' ')} ${await res.clone().text()}`)
	return res
}

/** Every row of every table, as text. */
async function everyRow(): Promise<string[]> {
	const tables = await env.DB.prepare(
		"SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
	).all<{ name: string }>()
	const rows: string[] = []
	for (const { name } of tables.results) {
		const { results } = await env.DB.prepare(`SELECT * FROM "${name}"`).all()
		rows.push(...results.map((r) => `${name} ${JSON.stringify(r)}`))
	}
	return rows
}

describe('secrets after a full run', () => {
	it('appear in no log line, D1 row, answer, commit status, alert or outside request — only in the request to their own API', async () => {
		await resetWorld(edge)
		// 1. A push, reconciled by the real queue: Cloudflare written, a status on the commit, the
		// Flux Receiver told, the pre-flight check run.
		const sha = await commit(edge, desiredYaml())
		const push = await sendPush({ after: sha })
		expect(push.status).toBe(202)
		const run = await settled(push.json.runId as number)
		expect(run.status).toBe('applied')
		await until('the Receiver was told', async () => edge.receiver.length > 0)
		await until('the commit status was posted', async () =>
			(await edge.github.statuses({ ref: sha })).some((s) => s.context === 'tidegate/edge-sync'),
		)

		// 2. A failed Cloudflare call: a dry run whose read of the include list is refused.
		edge.cloudflare.addFault({
			method: 'GET',
			path: `/accounts/${DEFAULT_ACCOUNT_ID}/devices/policy/include`,
			kind: 'status',
			status: 403,
			code: 9109,
			message: 'Unauthorized to access requested resource',
			times: 1,
		})
		const dry = await read('/api/reconcile', {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: '{"dryRun":true}',
		})
		expect(await dry.json()).toMatchObject({ status: 'failed' })

		// 3. Flux events: a success, then failures that confirm ok → failing, which alerts.
		const failure = {
			name: 'shop',
			kind: 'HelmRelease',
			severity: 'error',
			reason: 'UpgradeFailed',
		}
		await sendAll(
			fluxEvent({ name: 'shop', kind: 'HelmRelease', at: 0 }),
			fluxEvent({
				...failure,
				at: 60,
				message: 'rendered manifests contain a resource that already exists',
			}),
			fluxEvent({
				...failure,
				at: 120,
				message: 'rendered manifests contain a resource that already exists',
			}),
		)
		await until('the alert was delivered', async () => edge.alerts.length > 0)

		// 4. An alert that cannot be delivered: the webhook is unreachable, then refuses it for good.
		const alertUrl = config.ALERT_WEBHOOK_URL as string
		edge.use(http.post(alertUrl, () => HttpResponse.error()))
		const alert = { v: 1 as const, kind: 'alert' as const, source: 'egress', text: 'db down' }
		expect(await sendAlertJob(buildDeps(env), alert, 1)).toMatchObject({ retry: true })
		edge.use(http.post(alertUrl, () => HttpResponse.text('no_service', { status: 404 })))
		expect(await sendAlertJob(buildDeps(env), alert, 2)).toEqual({ retry: false })

		// 5. What an operator reads.
		for (const path of [
			'/healthz',
			'/api/status',
			'/api/runs',
			`/api/runs/${run.id}`,
			'/api/events',
			'/api/deployments',
			'/api/egress',
			'/',
			`/runs/${run.id}`,
		]) {
			expect((await read(path)).status).toBe(200)
		}

		const github = edge.github.requests()
		const cloudflare = edge.cloudflare.requests
		const haystacks: Record<string, string[]> = {
			'log lines': logs,
			'D1 rows': await everyRow(),
			answers,
			'alerts sent': edge.alerts,
			'Flux Receiver requests (bodies)': edge.receiver.map((r) => r.body),
			'GitHub requests (paths, queries, bodies, headers but the token)': github.map(
				(r) =>
					`${r.method} ${r.path}${r.search} ${r.body ?? ''} ${JSON.stringify({ ...r.headers, authorization: undefined })}`,
			),
			'Cloudflare requests (paths and bodies)': cloudflare.map(
				(r) => `${r.method} ${r.path} ${JSON.stringify(r.body ?? null)}`,
			),
		}
		// Not vacuous: each place holds what the run put there.
		expect(logs.some((l) => l.includes('reconcile.finished'))).toBe(true)
		expect(
			haystacks['D1 rows']?.some((r) => r.startsWith('runs ') && r.includes('"api_calls"')),
		).toBe(true)
		expect(haystacks['D1 rows']?.some((r) => r.startsWith('dead_letters '))).toBe(true)
		expect(github.some((r) => r.method === 'POST' && r.path.includes('/statuses/'))).toBe(true)
		expect(cloudflare.some((r) => r.method === 'PUT')).toBe(true)
		expect(edge.alerts.length).toBeGreaterThan(0)

		for (const [name, value] of secrets()) {
			for (const [place, texts] of Object.entries(haystacks)) {
				const leak = texts.find((text) => text.includes(value))
				expect(leak, `${name} found in ${place}`).toBeUndefined()
			}
		}
		// Each credential goes to its own API only.
		for (const r of github) {
			expect(r.headers.authorization ?? '').toMatch(
				new RegExp(`^(Bearer|token) ${config.GITHUB_TOKEN}$`),
			)
		}
		// The stand-in knows which permission family each endpoint needs and which token was shown:
		// each token is used only for its own family (a fault answers before the token is looked at).
		for (const r of cloudflare.filter((c) => c.faults.length === 0)) {
			expect(r.scope, r.path).not.toBeNull()
			expect(
				r.tokenScopes?.map((scope) => scope.split(':')[0]),
				r.path,
			).toEqual([r.scope])
		}
	})
})
