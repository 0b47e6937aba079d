import {
	createExecutionContext,
	createMessageBatch,
	createScheduledController,
	getQueueResult,
} from 'cloudflare:test'
import { env, exports } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import worker from '../../workers/index.ts'
import {
	CUSTOM_EXCLUDE_POLICY_ID,
	DEFAULT_ACCOUNT_ID,
	DEFAULT_TUNNEL_ID,
	DEFAULT_ZONE_ID,
} from '../standins/cloudflare/seed.ts'
import { desiredYaml, FOREIGN, OURS } from './support/desired.ts'
import { useEdge } from './support/network.ts'

const edge = useEdge()

const yaml = desiredYaml

interface RunRow {
	id: number
	status: string
	commit_sha: string | null
	summary: string | null
	plan: string | null
	warnings: string | null
	api_calls: string | null
	error_code: string | null
	error_message: string | null
	duration_ms: number | null
}

async function commit(text: string): Promise<string> {
	const pushed = await edge.github.push({ files: { 'tidegate.yaml': text }, delivery: 'skip' })
	return pushed.sha
}

async function newRun(options: { trigger?: string; dryRun?: boolean; force?: boolean } = {}) {
	const row = await env.DB.prepare(
		"INSERT INTO runs (trigger, status, dry_run, force, queued_at) VALUES (?, 'queued', ?, ?, ?) RETURNING id",
	)
		.bind(options.trigger ?? 'api', options.dryRun ? 1 : 0, options.force ? 1 : 0, Date.now())
		.first<{ id: number }>()
	return row?.id ?? -1
}

/** Delivers one message to the consumer directly, so a test controls attempts and sees ack/retry. */
async function consume(body: unknown, attempts = 1, queue = 'tidegate-jobs') {
	const batch = createMessageBatch(queue, [
		{ id: crypto.randomUUID(), timestamp: new Date(), attempts, body },
	])
	const ctx = createExecutionContext()
	await worker.queue(batch, env, ctx)
	return getQueueResult(batch, ctx)
}

async function reconcile(
	options: { trigger?: string; dryRun?: boolean; force?: boolean } = {},
	attempts = 1,
) {
	const runId = await newRun(options)
	const result = await consume(
		{
			v: 1,
			kind: 'reconcile',
			runId,
			trigger: options.trigger ?? 'api',
			dryRun: options.dryRun ?? false,
			force: options.force ?? false,
		},
		attempts,
	)
	const run = await env.DB.prepare('SELECT * FROM runs WHERE id = ?').bind(runId).first<RunRow>()
	if (!run) {
		throw new Error('run vanished')
	}
	return { run, result }
}

async function waitForRun(where: string, timeoutMs = 10_000): Promise<RunRow> {
	const until = Date.now() + timeoutMs
	for (;;) {
		const run = await env.DB.prepare(
			`SELECT * FROM runs WHERE ${where} ORDER BY id DESC LIMIT 1`,
		).first<RunRow>()
		if (run && run.status !== 'queued' && run.status !== 'running') {
			return run
		}
		if (Date.now() > until) {
			throw new Error(`no finished run where ${where} (last: ${run?.status})`)
		}
		await new Promise((r) => setTimeout(r, 50))
	}
}

const tunnelIngress = () =>
	edge.cloudflare.tunnel(DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID)?.config?.ingress
const includeList = (policy = 'default') => edge.cloudflare.profile(DEFAULT_ACCOUNT_ID, policy).list

beforeEach(async () => {
	edge.cloudflare.reset()
	await edge.github.reset()
	await env.DB.batch([
		env.DB.prepare('DELETE FROM applications'),
		env.DB.prepare('DELETE FROM github_deliveries'),
		env.DB.prepare('DELETE FROM settings'),
		env.DB.prepare('DELETE FROM dead_letters'),
	])
	await env.DB.prepare('DELETE FROM runs').run()
})

describe('reconcile through the queue', () => {
	it('applies the desired state, records the run, and reports pending then success on the commit', async () => {
		const sha = await commit(yaml())
		const { run, result } = await reconcile()
		expect(result.explicitAcks).toHaveLength(1)
		expect(run).toMatchObject({ status: 'applied', commit_sha: sha, error_code: null })
		expect(run.summary).toBe('applied: tunnel: 2 added; DNS: 2 added; split tunnel: 3 added')
		expect(run.duration_ms).toBeGreaterThanOrEqual(0)
		expect(tunnelIngress()).toEqual([
			{
				hostname: 'label.example.com',
				service: 'http://label-studio-ls-app.apps.svc.cluster.local:8085',
			},
			{
				hostname: 'k3s.example.com',
				service: 'https://kubernetes.default.svc:443',
				originRequest: { noTLSVerify: true },
			},
			{ service: 'http_status:404' },
		])
		const calls = JSON.parse(run.api_calls ?? '[]') as { method: string; path: string }[]
		expect(calls.filter((c) => c.method === 'PUT').map((c) => c.path)).toEqual([
			`/client/v4/accounts/${DEFAULT_ACCOUNT_ID}/cfd_tunnel/${DEFAULT_TUNNEL_ID}/configurations`,
			`/client/v4/accounts/${DEFAULT_ACCOUNT_ID}/devices/policy/include`,
		])
		const statuses = await edge.github.statuses({ ref: sha })
		expect(statuses.map((s) => [s.context, s.state])).toEqual([
			['tidegate/edge-sync', 'success'],
			['tidegate/edge-sync', 'pending'],
		])
		expect(statuses[0]?.targetUrl).toBe(`https://tidegate.test/runs/${run.id}`)
		const applied = await env.DB.prepare(
			'SELECT resource, commit_sha FROM applications ORDER BY id',
		).all()
		expect(applied.results).toEqual([
			{ resource: `tunnel:${DEFAULT_TUNNEL_ID}`, commit_sha: sha },
			{ resource: `dns:${DEFAULT_TUNNEL_ID}`, commit_sha: sha },
			{ resource: `split-tunnel:${DEFAULT_ACCOUNT_ID}:default`, commit_sha: sha },
		])
	})

	it("keeps other teams' split-tunnel entries exactly, in their order", async () => {
		await commit(yaml())
		await reconcile()
		expect(includeList()).toEqual([...FOREIGN, ...OURS])
	})

	it('makes zero writes when in sync, reading only', async () => {
		await commit(yaml())
		await reconcile()
		edge.cloudflare.clearRequests()
		const { run } = await reconcile()
		expect(run.status).toBe('in_sync')
		expect(edge.cloudflare.writes()).toEqual([])
		const calls = JSON.parse(run.api_calls ?? '[]') as {
			api: string
			method: string
			path: string
		}[]
		const base = `/client/v4/accounts/${DEFAULT_ACCOUNT_ID}`
		// One read per resource (DNS: the zones, then each hostname), and the tunnel's connectors.
		expect(calls.filter((c) => c.api === 'cloudflare').map((c) => `${c.method} ${c.path}`)).toEqual(
			[
				`GET ${base}/cfd_tunnel/${DEFAULT_TUNNEL_ID}/configurations`,
				`GET ${base}/teamnet/routes`,
				'GET /client/v4/zones',
				`GET /client/v4/zones/${DEFAULT_ZONE_ID}/dns_records`,
				`GET /client/v4/zones/${DEFAULT_ZONE_ID}/dns_records`,
				`GET ${base}/devices/policy`,
				`GET ${base}/devices/policy/include`,
				`GET ${base}/cfd_tunnel/${DEFAULT_TUNNEL_ID}/connections`,
			],
		)
	})

	it('does not fetch the file again for an unchanged head (content-addressed cache)', async () => {
		await commit(yaml())
		await reconcile()
		edge.github.clearRequests()
		await reconcile()
		expect(edge.github.requests({ path: '/repos/*/*/contents/**' })).toEqual([])
	})

	it('fails on an invalid tidegate.yaml with the located error on the commit, writing nothing', async () => {
		const sha = await commit(
			yaml().replace('hostname: k3s.example.com', 'hostname: k3s.example.com:6443'),
		)
		edge.cloudflare.clearRequests()
		const { run, result } = await reconcile()
		expect(result.retryMessages).toEqual([])
		expect(run).toMatchObject({ status: 'failed', error_code: 'config_invalid' })
		expect(run.error_message).toMatch(
			/tidegate\.yaml:\d+:\d+ tunnel\.ingress\[1\]\.hostname hostname cannot contain a port/,
		)
		expect(edge.cloudflare.requests).toEqual([])
		const [status] = await edge.github.statuses({ ref: sha })
		expect(status).toMatchObject({ state: 'failure' })
		expect(status?.description).toMatch(/tidegate\.yaml is invalid/)
	})

	it('never takes a missing tidegate.yaml for an empty desired state', async () => {
		await commit(yaml())
		await reconcile()
		await edge.github.push({ files: { 'tidegate.yaml': null }, delivery: 'skip' })
		const { run } = await reconcile()
		expect(run).toMatchObject({ status: 'failed', error_code: 'config_missing' })
		expect(includeList()).toEqual([...FOREIGN, ...OURS])
		expect(tunnelIngress()).toHaveLength(3)
	})

	it('plans without writing on a dry run', async () => {
		await commit(yaml())
		const { run } = await reconcile({ dryRun: true })
		expect(run.status).toBe('planned')
		expect(run.summary).toBe('dry run: tunnel: 2 added; DNS: 2 added; split tunnel: 3 added')
		expect(edge.cloudflare.writes()).toEqual([])
	})

	it('plans and records but does not write while suspended', async () => {
		await commit(yaml())
		await env.DB.prepare(
			"INSERT INTO settings (key, value, updated_at) VALUES ('suspended', 'true', 0)",
		).run()
		const { run } = await reconcile()
		expect(run.status).toBe('suspended')
		expect(edge.cloudflare.writes()).toEqual([])
	})
})

describe('rollback', () => {
	it('re-applies what tidegate applied before the newest state, then suspends syncing', async () => {
		await commit(yaml())
		await reconcile()
		await commit(yaml({ rules: '    - hostname: new.example.com\n      service: http://new:80' }))
		expect((await reconcile()).run.status).toBe('applied')
		expect(tunnelIngress()?.[0]).toEqual({ hostname: 'new.example.com', service: 'http://new:80' })

		const { run } = await reconcile({ trigger: 'rollback' })
		expect(run.status).toBe('applied')
		expect(run.summary).toMatch(/^rolled back: tunnel: .*syncing is suspended until resumed$/)
		expect(tunnelIngress()?.map((r) => r.hostname ?? '*')).toEqual([
			'label.example.com',
			'k3s.example.com',
			'*',
		])
		expect(includeList()).toEqual([...FOREIGN, ...OURS])
		const suspended = await env.DB.prepare(
			"SELECT value FROM settings WHERE key = 'suspended'",
		).first()
		expect(suspended).toEqual({ value: 'true' })

		// The next drift check plans the branch head again but writes nothing while suspended.
		edge.cloudflare.clearRequests()
		expect((await reconcile({ trigger: 'drift' })).run.status).toBe('suspended')
		expect(edge.cloudflare.writes()).toEqual([])
	})

	it('fails clearly when tidegate has applied nothing before', async () => {
		await commit(yaml())
		const { run } = await reconcile({ trigger: 'rollback' })
		expect(run).toMatchObject({ status: 'failed', error_code: 'nothing_to_roll_back' })
		expect(edge.cloudflare.writes()).toEqual([])
	})
})

describe('safety rails in the Worker', () => {
	it('refuses to write an include list to a profile in exclude mode', async () => {
		const sha = await commit(yaml({ policy: CUSTOM_EXCLUDE_POLICY_ID }))
		const { run } = await reconcile()
		expect(run.status).toBe('refused')
		expect(run.summary).toMatch(/is in exclude mode/)
		expect(edge.cloudflare.writes()).toEqual([])
		const [status] = await edge.github.statuses({ ref: sha })
		expect(status).toMatchObject({ state: 'failure' })
	})

	it('refuses more deletions than sync.maxDeletions, and a forced run applies them', async () => {
		await commit(yaml({ extra: 'sync:\n  maxDeletions: 1\n' }))
		await reconcile()
		await commit(
			yaml({ rules: '    []', extra: 'sync:\n  maxDeletions: 1\n' }).replace(
				'  ingress:\n    []',
				'  ingress:\n    - hostname: only.example.com\n      service: http://only:80',
			),
		)
		const refused = await reconcile()
		expect(refused.run.status).toBe('refused')
		expect(refused.run.summary).toMatch(
			/removes 2 tunnel ingress rules, more than sync.maxDeletions \(1\)/,
		)
		const forced = await reconcile({ force: true })
		expect(forced.run.status).toBe('applied')
		expect(tunnelIngress()).toEqual([
			{ hostname: 'only.example.com', service: 'http://only:80' },
			{ service: 'http_status:404' },
		])
	})
})

describe('drift', () => {
	it('finds a hand edit on the cron tick, corrects it, and says it was a hand edit', async () => {
		await commit(yaml())
		await reconcile()
		edge.cloudflare.handEdit({
			kind: 'tunnel-config',
			accountId: DEFAULT_ACCOUNT_ID,
			tunnelId: DEFAULT_TUNNEL_ID,
			config: {
				ingress: [
					{ hostname: 'label.example.com', service: 'http://label-studio:8080' },
					{ service: 'http_status:404' },
				],
			},
		})
		await worker.scheduled(
			createScheduledController({ cron: '*/5 * * * *' }),
			env,
			createExecutionContext(),
		)
		const run = await waitForRun("trigger = 'drift'")
		expect(run.status).toBe('applied')
		const plan = JSON.parse(run.plan ?? '{}') as {
			resources: { changes: { action: string; cause: string }[] }[]
		}
		expect(plan.resources[0]?.changes).toEqual([
			expect.objectContaining({ action: 'update', cause: 'hand-edit' }),
			expect.objectContaining({ action: 'add', cause: 'hand-edit' }),
		])
		expect(tunnelIngress()?.[0]).toEqual({
			hostname: 'label.example.com',
			service: 'http://label-studio-ls-app.apps.svc.cluster.local:8085',
		})
	})

	it('with sync.drift: report, records the drift and writes nothing', async () => {
		await commit(yaml({ extra: 'sync:\n  drift: report\n' }))
		await reconcile()
		edge.cloudflare.handEdit({
			kind: 'split-tunnel',
			accountId: DEFAULT_ACCOUNT_ID,
			list: (list) => list.slice(0, -1),
		})
		edge.cloudflare.clearRequests()
		await worker.scheduled(
			createScheduledController({ cron: '*/5 * * * *' }),
			env,
			createExecutionContext(),
		)
		const run = await waitForRun("trigger = 'drift'")
		expect(run.status).toBe('drift_reported')
		expect(run.summary).toMatch(/split tunnel: 1 added/)
		expect(edge.cloudflare.writes()).toEqual([])
	})
})

describe('Cloudflare API faults', () => {
	it('honours 429 Retry-After: the run goes back to the queue with that delay, and later runs wait too', async () => {
		await commit(yaml())
		edge.cloudflare.addFault({
			kind: 'rate-limit',
			method: 'GET',
			path: 'accounts/*/cfd_tunnel/*/configurations',
			retryAfter: 120,
			times: 1,
		})
		const { run, result } = await reconcile()
		expect(run.status).toBe('queued')
		expect(run.error_message).toMatch(/retrying in 120 s/)
		expect(result.retryMessages).toHaveLength(1)
		expect(
			await env.DB.prepare(
				"SELECT value FROM settings WHERE key = 'cloudflare.blocked_until'",
			).first(),
		).not.toBeNull()
		edge.cloudflare.clearRequests()
		const next = await reconcile()
		expect(next.result.retryMessages).toHaveLength(1)
		expect(next.run.error_message).toMatch(
			/rate-limited tidegate's token; no calls until .* \(attempt 1; retrying in 1[0-2]\d s\)/,
		)
		expect(edge.cloudflare.requests).toEqual([])
	})

	it('retries an HTML 502 page with backoff', async () => {
		await commit(yaml())
		edge.cloudflare.addFault({ kind: 'html', status: 502, method: 'PUT', path: '**', times: 1 })
		const { run, result } = await reconcile({}, 2)
		expect(run.status).toBe('queued')
		expect(run.error_message).toMatch(
			/Cloudflare answered 502: no error details \(not a JSON answer\) \(attempt 2; retrying in 20 s\)/,
		)
		expect(result.retryMessages).toHaveLength(1)
	})

	it('treats 200 with "success": false as a failure, without retrying', async () => {
		await commit(yaml())
		edge.cloudflare.addFault({
			kind: 'success-false',
			method: 'PUT',
			path: 'accounts/*/cfd_tunnel/**',
			times: 1,
		})
		const { run, result } = await reconcile()
		expect(result.retryMessages).toEqual([])
		expect(run).toMatchObject({ status: 'failed', error_code: 'cloudflare_rejected' })
		expect(run.error_message).toMatch(/"success": false/)
	})

	it('names the token and the permission it lacks on an auth error', async () => {
		await commit(yaml())
		edge.cloudflare.addFault({
			kind: 'status',
			status: 403,
			code: 10000,
			message: 'Authentication error',
			path: 'accounts/*/devices/**',
		})
		const { run } = await reconcile()
		expect(run).toMatchObject({ status: 'failed', error_code: 'cloudflare_auth' })
		expect(run.error_message).toMatch(
			/CF_ZERO_TRUST_API_TOKEN was refused \(403.*needs the Account › Zero Trust › Edit permission/,
		)
	})

	it('re-plans when the tunnel version moves between plan and write (no If-Match)', async () => {
		await commit(yaml())
		edge.cloudflare.addFault({
			kind: 'hand-edit',
			method: 'GET',
			path: 'accounts/*/devices/policy',
			times: 1,
			edit: {
				kind: 'tunnel-config',
				accountId: DEFAULT_ACCOUNT_ID,
				tunnelId: DEFAULT_TUNNEL_ID,
				config: {
					ingress: [
						{
							hostname: 'label.example.com',
							service: 'http://label-studio-ls-app.apps.svc.cluster.local:8085',
						},
						{ service: 'http_status:404' },
					],
				},
			},
		})
		const { run } = await reconcile()
		expect(run.status).toBe('applied')
		expect(JSON.parse(run.warnings ?? '[]')).toEqual(
			expect.arrayContaining([
				expect.stringMatching(/moved from version 1 to 2 between plan and write/),
			]),
		)
		const plan = JSON.parse(run.plan ?? '{}') as {
			resources: { kind: string; changes: unknown[] }[]
		}
		expect(plan.resources[0]?.changes).toHaveLength(1)
		expect(tunnelIngress()).toHaveLength(3)
	})

	it('reports a connector still on an old config version after the PUT', async () => {
		await commit(yaml())
		edge.cloudflare.setConnectorLagging(DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID, 0)
		const { run } = await reconcile()
		expect(run.status).toBe('applied')
		expect(JSON.parse(run.warnings ?? '[]')).toEqual(
			expect.arrayContaining([expect.stringMatching(/still reports config version 1, not 2/)]),
		)
	})
})

describe('pushes out of order', () => {
	it('an older push delivered after a newer one does not roll back', async () => {
		edge.github.configureWebhook({
			url: 'https://tidegate.test/webhooks/github',
			fetch: (r) => exports.default.fetch(r),
		})
		const older = await edge.github.push({ files: { 'tidegate.yaml': yaml() }, delivery: 'fail' })
		const newerYaml = yaml({
			rules: '    - hostname: new.example.com\n      service: http://new:80',
		})
		const newer = await edge.github.push({ files: { 'tidegate.yaml': newerYaml } })
		expect(newer.statusCode).toBe(202)
		await waitForRun(`commit_sha = '${newer.sha}'`)
		const late = await edge.github.redeliver(older.deliveryId ?? -1)
		expect(late.statusCode).toBe(202)
		const lateRun = await waitForRun(`delivery_id = '${older.guid}'`)
		expect(lateRun).toMatchObject({ status: 'in_sync', commit_sha: newer.sha })
		expect(tunnelIngress()?.[0]).toEqual({ hostname: 'new.example.com', service: 'http://new:80' })
	})
})

describe('nothing is lost', () => {
	it('records a message whose retries are spent, and marks its run dead', async () => {
		const runId = await newRun()
		const body = { v: 1, kind: 'reconcile', runId, trigger: 'api', dryRun: false, force: false }
		const result = await consume(body, 1, 'tidegate-jobs-dlq')
		expect(result.explicitAcks).toHaveLength(1)
		const letter = await env.DB.prepare('SELECT kind, reason FROM dead_letters').first()
		expect(letter).toEqual({ kind: 'reconcile', reason: 'retries exhausted' })
		const run = await env.DB.prepare('SELECT status, error_code FROM runs WHERE id = ?')
			.bind(runId)
			.first()
		expect(run).toEqual({ status: 'dead', error_code: 'dead_letter' })
	})

	it('parks an unparseable message in the dead-letter queue with its reason', async () => {
		const result = await consume({ kind: 'reconcile', runId: 'x' })
		expect(result.explicitAcks).toHaveLength(1)
		const until = Date.now() + 10_000
		let letter: Record<string, unknown> | null = null
		while (!letter && Date.now() < until) {
			letter = await env.DB.prepare('SELECT reason, kind FROM dead_letters').first()
			await new Promise((r) => setTimeout(r, 50))
		}
		expect(letter?.reason).toMatch(/^unparseable message/)
	})
})
