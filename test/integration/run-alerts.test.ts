/**
 * Alerts for everything about the edge that needs a person (docs/alerts.md): each
 * raised once per state change, damped like the Flux and egress alerts, asserted where they end
 * up (the test ALERT_WEBHOOK_URL) after the real queue consumer sent them.
 */
import { env, exports } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID } from '../standins/cloudflare/seed.ts'
import { desiredYaml } from './support/desired.ts'
import { useEdge } from './support/network.ts'
import { consume, newRun, reconcileMessage, reconcileOnce } from './support/runs.ts'
import { waitFor } from './support/wait.ts'

const edge = useEdge()

const SHRUNK = desiredYaml({
	entries: `    - address: 10.43.0.0/16
      description: K8s Service Network
      protected: true`,
	extra: 'sync:\n  maxDeletions: 1\n',
})

const withRule = (host: string) =>
	desiredYaml({
		rules: `    - hostname: label.example.com
      service: http://label-studio-ls-app.apps.svc.cluster.local:8085
    - hostname: ${host}
      service: http://web.apps.svc.cluster.local:80`,
	})

async function commit(text: string): Promise<void> {
	await edge.github.push({ files: { 'tidegate.yaml': text }, delivery: 'skip' })
}

const reconcile = (trigger = 'drift') => reconcileOnce(trigger)

/** Every alert queued so far has been sent once this sentinel, queued after them, arrives. */
async function sent(): Promise<string[]> {
	const sentinel = `sentinel ${crypto.randomUUID()}`
	await env.JOBS.send({ v: 1, kind: 'alert', source: 'test', text: sentinel })
	await waitFor(() => edge.alerts.includes(sentinel), { what: 'the sentinel alert' })
	return edge.alerts.filter((a) => !a.startsWith('sentinel '))
}

beforeEach(async () => {
	edge.cloudflare.reset()
	await edge.github.reset()
	await env.DB.batch([
		env.DB.prepare('DELETE FROM applications'),
		env.DB.prepare('DELETE FROM alert_tracks'),
		env.DB.prepare('DELETE FROM settings'),
		env.DB.prepare('DELETE FROM dead_letters'),
		env.DB.prepare('DELETE FROM pull_request_checks'),
	])
	await env.DB.prepare('DELETE FROM runs').run()
	await sent()
	edge.alerts.length = 0
})

describe('edge alerts, once per state change', () => {
	it('a refused plan: one alert naming the rail and the entries, however many drift ticks; one on recovery', async () => {
		await commit(desiredYaml())
		expect(await reconcile('push')).toBe('applied')
		await commit(SHRUNK)
		expect([await reconcile(), await reconcile(), await reconcile()]).toEqual([
			'refused',
			'refused',
			'refused',
		])
		const [refused, ...rest] = await sent()
		expect(rest).toEqual([])
		expect(refused).toMatch(
			/^\[tidegate\] Edge plan refused \(run \d+, drift, commit [0-9a-f]{7}\)/,
		)
		expect(refused).toContain('max-deletions: the plan removes 2 split-tunnel include entries')
		expect(refused).toContain('would remove 10.42.0.0/16: "K8s Pod Network - oceanid" → (removed)')
		expect(refused).toMatch(/\nRun: https:\/\/tidegate.test\/runs\/\d+$/)
		await commit(desiredYaml())
		await reconcile()
		expect((await sent()).slice(1)).toEqual([
			expect.stringMatching(
				/^\[tidegate\] The edge plan is no longer refused \(run \d+, drift, commit \w{7}: in sync\)\./,
			),
		])
	})

	it('a run that failed for good, or was dead-lettered: one alert each, one when runs succeed again', async () => {
		await commit('version: 1\nowner: oceanid\ntunnel: 7\n')
		expect([await reconcile(), await reconcile()]).toEqual(['failed', 'failed'])
		const failed = await sent()
		expect(failed).toHaveLength(1)
		expect(failed[0]).toMatch(
			/^\[tidegate\] Edge run failed \(run \d+, drift, commit \w{7}\): config_invalid: tidegate.yaml is invalid \(1 error\): tidegate.yaml:3:9 tunnel must be a mapping/,
		)
		await commit(desiredYaml())
		await reconcile()
		expect((await sent())[1]).toMatch(/^\[tidegate\] Edge runs succeed again \(run \d+, drift/)

		const dead = await newRun('push')
		await consume(reconcileMessage(dead, 'push'), 1, 'tidegate-jobs-dlq')
		const afterDead = await sent()
		expect(afterDead.slice(2)).toEqual([
			`[tidegate] Edge run was dead-lettered (run ${dead}, push): dead_letter: retries exhausted. Nothing more is retried; the next push or drift check tries again.\nRun: https://tidegate.test/runs/${dead}`,
		])
	})

	it('a drift correction that overwrote a hand edit of the shared list: which entries, before → after', async () => {
		await commit(desiredYaml())
		expect(await reconcile('push')).toBe('applied')
		edge.cloudflare.handEdit({
			kind: 'split-tunnel',
			accountId: DEFAULT_ACCOUNT_ID,
			list: (current) =>
				current.map((e) =>
					'address' in e && e.address === '10.42.0.0/16'
						? { ...e, description: 'Pods, edited - oceanid' }
						: e,
				),
		})
		expect([await reconcile(), await reconcile()]).toEqual(['applied', 'in_sync'])
		const alerts = await sent()
		expect(alerts).toEqual([
			expect.stringContaining(
				'[tidegate] Drift correction overwrote a hand edit of the shared split-tunnel include list (default profile) (run ',
			),
		])
		expect(alerts[0]).toContain(
			'  10.42.0.0/16: "Pods, edited - oceanid" → "K8s Pod Network - oceanid"',
		)
	})

	it('a tunnel with no connected cloudflared: after two reads in a row, once; once when one is back', async () => {
		edge.cloudflare.setConnectorCount(DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID, 0)
		await commit(desiredYaml())
		expect(await reconcile('push')).toBe('applied')
		expect(await sent()).toEqual([])
		for (const host of ['a.example.com', 'b.example.com']) {
			await commit(withRule(host))
			expect(await reconcile('push')).toBe('applied')
		}
		expect(await sent()).toEqual([
			`[tidegate] Tunnel ${DEFAULT_TUNNEL_ID} has no connected cloudflared: its public hostnames do not answer, and configuration changes wait until a connector starts. Check the cloudflared pods.`,
		])
		edge.cloudflare.setConnectorCount(DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID, 2)
		await commit(withRule('c.example.com'))
		await reconcile('push')
		expect((await sent()).slice(1)).toEqual([
			`[tidegate] Tunnel ${DEFAULT_TUNNEL_ID} has a connected cloudflared again.`,
		])
	})

	it('a refused Cloudflare token: once, naming the token and the permission; once when it works again', async () => {
		await commit(desiredYaml())
		edge.cloudflare.addFault({
			path: '/accounts/:account/devices/**',
			kind: 'status',
			status: 403,
			code: 10000,
			message: 'Authentication error',
		})
		expect([await reconcile(), await reconcile()]).toEqual(['failed', 'failed'])
		const refused = await sent()
		expect(refused).toHaveLength(1)
		expect(refused[0]).toMatch(
			/^\[tidegate\] CF_ZERO_TRUST_API_TOKEN was refused while reconciling the edge \(run \d+, drift, commit \w{7}\) \(403: .*Authentication error.*\); it needs the Account › Zero Trust › Edit permission\./,
		)
		edge.cloudflare.clearFaults()
		expect(await reconcile()).toBe('applied')
		expect((await sent()).slice(1)).toEqual([
			expect.stringMatching(
				/^\[tidegate\] CF_ZERO_TRUST_API_TOKEN is accepted again \(run \d+, drift/,
			),
		])
	})

	it('a GitHub token that may not comment on pull requests: once, naming the permission', async () => {
		await commit(desiredYaml())
		edge.github.configureWebhook({
			url: 'https://tidegate.test/webhooks/github',
			fetch: (r) => exports.default.fetch(r),
		})
		edge.github.addFault({
			method: 'POST',
			path: '/repos/*/*/issues/*/comments',
			kind: 'status',
			status: 403,
			message: 'Resource not accessible by personal access token',
			times: 'always',
		})
		const opened = await edge.github.openPullRequest({
			head: 'x',
			files: { 'tidegate.yaml': withRule('x.example.com') },
		})
		const statusOn = (sha: string) => async () =>
			(await edge.github.statuses({ ref: sha })).some((s) => s.context === 'tidegate/preflight')
		await waitFor(statusOn(opened.sha))
		const pushed = await edge.github.pushToPullRequest({
			number: 1,
			files: { 'tidegate.yaml': withRule('y.example.com') },
		})
		await waitFor(statusOn(pushed.sha))
		const alerts = await sent()
		expect(alerts).toEqual([
			'[tidegate] GITHUB_TOKEN was refused while reporting on pull request #1 (403: Resource not accessible by personal access token); it needs Pull requests: read and write. Give the token that permission or replace it: nothing that needs it happens until then.',
		])
	})
})
