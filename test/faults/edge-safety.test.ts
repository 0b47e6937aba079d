/**
 * The edge's last line of defence (docs/safety.md), through the real Worker: answers Cloudflare
 * gives that must never become an empty list or a guessed mode, a write Cloudflare did not carry
 * out as asked, an owner a commit tries to change, protection recorded before the write it
 * protects, and a rollback that lands on the same document however often it runs.
 */
import { env } from 'cloudflare:workers'
import { HttpResponse, http } from 'msw'
import { beforeEach, describe, expect, it } from 'vitest'
import { useEdge } from '../integration/support/network.ts'
import { DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID } from '../standins/cloudflare/seed.ts'
import {
	changedYaml,
	commit,
	desiredYaml,
	expectConverged,
	FOREIGN,
	live,
	reconcileNow,
	resetWorld,
} from './support/world.ts'

const edge = useEdge()
const API = 'https://api.cloudflare.test/client/v4'
const INCLUDE = 'accounts/*/devices/policy/include'
const PROFILE = 'accounts/*/devices/policy'

beforeEach(async () => {
	await resetWorld(edge)
})

/** tidegate wrote the desired state once; Cloudflare holds it, with the other teams' entries. */
async function appliedOnce(): Promise<void> {
	await commit(edge, desiredYaml())
	expect((await reconcileNow()).status).toBe('applied')
}

const envelope = (result: unknown) => ({ success: true, errors: [], messages: [], result })

describe('Ambiguous answers are never an empty list', () => {
	const cases: { name: string; path: string; body: unknown }[] = [
		{ name: 'the include list answered with "result": null', path: INCLUDE, body: envelope(null) },
		{
			name: 'the include list answered without a result',
			path: INCLUDE,
			body: { success: true, errors: [], messages: [] },
		},
		{
			name: 'the include list answered empty while the profile lists entries',
			path: INCLUDE,
			body: envelope([]),
		},
		{
			name: 'the include list answered cut short',
			path: INCLUDE,
			body: envelope(FOREIGN.slice(1)),
		},
		{
			name: 'a profile that does not say its mode',
			path: PROFILE,
			body: envelope({ default: true, enabled: true }),
		},
		{
			name: 'a profile that carries both lists',
			path: PROFILE,
			body: envelope({ default: true, include: [], exclude: [] }),
		},
	]
	for (const { name, path, body } of cases) {
		it(`${name}: refused, nothing written, other teams' entries intact (first sync)`, async () => {
			await commit(edge, desiredYaml())
			edge.cloudflare.addFault({ kind: 'body', method: 'GET', path, body })
			const run = await reconcileNow()
			expect(run.status).toBe('refused')
			expect(run.summary).toMatch(/^refused: .*could not be read/)
			expect(edge.cloudflare.writes()).toEqual([])
			expect(live(edge).include).toEqual(FOREIGN)
		})
	}

	it('the same answers after tidegate wrote once: refused, the list unchanged', async () => {
		await appliedOnce()
		const before = live(edge).include
		edge.cloudflare.clearRequests()
		edge.cloudflare.addFault({ kind: 'body', method: 'GET', path: INCLUDE, body: envelope(null) })
		const run = await reconcileNow({ trigger: 'drift' })
		expect(run.status).toBe('refused')
		expect(edge.cloudflare.writes()).toEqual([])
		expect(live(edge).include).toEqual(before)
	})
})

describe('A write Cloudflare does not carry out as asked', () => {
	it("a PUT that loses another team's entry is read back, undone, alerted, and syncing suspends", async () => {
		await appliedOnce()
		await commit(edge, changedYaml())
		const before = live(edge).include
		let lost = false
		// Cloudflare stores the list without the office VPN, and still answers 200.
		edge.use(
			http.put(`${API}/accounts/:account/devices/policy/include`, async ({ request }) => {
				if (lost) {
					return undefined
				}
				lost = true
				const body = (await request.json()) as { address?: string }[]
				const stored = body.filter((e) => e.address !== '10.8.0.0/16')
				edge.cloudflare.handEdit({
					kind: 'split-tunnel',
					accountId: DEFAULT_ACCOUNT_ID,
					list: stored as never,
				})
				return HttpResponse.json(envelope(stored))
			}),
		)
		const run = await reconcileNow({ trigger: 'push' })
		expect(run).toMatchObject({ status: 'failed', error_code: 'verification_failed' })
		expect(run.error_message).toMatch(
			/after writing split-tunnel:.*: 1 other teams' entries are missing after the write \(10\.8\.0\.0\/16\)\. the list as read before the write was put back\. Syncing is suspended/,
		)
		expect(live(edge).include).toEqual(before)
		const suspended = await env.DB.prepare(
			"SELECT value FROM settings WHERE key = 'suspended'",
		).first<{
			value: string
		}>()
		expect(suspended?.value).toBe('true')
		// The alert leaves through the real queue (consumed within its one-second batch window).
		await expect
			.poll(() => edge.alerts.join('\n'), { timeout: 10_000 })
			.toMatch(/tidegate: after writing split-tunnel:.*10\.8\.0\.0\/16/)
	})
})

describe('Ownership cannot be hijacked by a commit', () => {
	it('a tidegate.yaml naming another owner is refused, nothing written', async () => {
		await appliedOnce()
		edge.cloudflare.clearRequests()
		await commit(edge, desiredYaml().replace('owner: oceanid', 'owner: netops'))
		const run = await reconcileNow({ trigger: 'push' })
		expect(run.status).toBe('refused')
		expect(run.summary).toMatch(
			/tidegate\.yaml says owner "netops", but this tidegate writes as "oceanid" \(the owner of its last write\)/,
		)
		expect(edge.cloudflare.writes()).toEqual([])
	})

	it("an entry that merely ends in ' - <owner>' is never removed on sight", async () => {
		edge.cloudflare.handEdit({
			kind: 'split-tunnel',
			accountId: DEFAULT_ACCOUNT_ID,
			list: (list) => [...list, { address: '10.77.0.0/16', description: 'Not ours - oceanid' }],
		})
		await appliedOnce()
		expect(live(edge).include).toContainEqual({
			address: '10.77.0.0/16',
			description: 'Not ours - oceanid',
		})
		const run = await reconcileNow({ trigger: 'drift' })
		expect(run.status).toBe('in_sync')
		expect((JSON.parse(run.warnings ?? '[]') as string[]).join('\n')).toMatch(
			/10\.77\.0\.0\/16 "Not ours - oceanid" ends with "oceanid" but tidegate has no record of writing it/,
		)
	})
})

describe('Protection is recorded before the write it protects', () => {
	it('a write whose outcome is unknown still protects its entries', async () => {
		await appliedOnce()
		// The next write is recorded as pending, then the Worker dies before settling it.
		await env.DB.prepare(
			"UPDATE applications SET state = 'pending' WHERE id = (SELECT MAX(id) FROM applications WHERE resource LIKE 'split-tunnel:%')",
		).run()
		await env.DB.prepare(
			"UPDATE applications SET state = 'failed' WHERE resource LIKE 'split-tunnel:%' AND state = 'applied'",
		).run()
		// Drop the protected entry from git: refused, because the unknown write protected it.
		await commit(
			edge,
			desiredYaml({
				entries: `    - address: 10.42.0.0/16
      description: K8s Pod Network
    - address: 192.168.2.0/24
      description: Calypso GPU`,
			}),
		)
		const run = await reconcileNow({ trigger: 'push', force: true })
		expect(run.status).toBe('refused')
		expect(run.summary).toMatch(/10\.43\.0\.0\/16 is protected/)
	})

	it('a pending write is recorded before the PUT, then settled', async () => {
		await commit(edge, desiredYaml())
		const states: string[] = []
		edge.use(
			http.put(`${API}/accounts/:account/devices/policy/include`, async () => {
				const row = await env.DB.prepare(
					"SELECT state, document FROM applications WHERE resource LIKE 'split-tunnel:%' ORDER BY id DESC LIMIT 1",
				).first<{ state: string; document: string }>()
				states.push(
					`${row?.state} ${JSON.parse(row?.document ?? '{}').entries?.filter((e: { protected: boolean }) => e.protected).length}`,
				)
				return undefined
			}),
		)
		expect((await reconcileNow()).status).toBe('applied')
		expect(states).toEqual(['pending 1'])
		const settled = await env.DB.prepare(
			"SELECT state FROM applications WHERE resource LIKE 'split-tunnel:%'",
		).all<{ state: string }>()
		expect(settled.results.map((r) => r.state)).toEqual(['applied'])
	})
})

describe('Rollback lands on the same document however often it runs', () => {
	it('rolling back twice applies the previous document once, then finds it in sync', async () => {
		await appliedOnce()
		const first = live(edge)
		const changed = desiredYaml({
			rules: `    - hostname: label.example.com
      service: http://label-studio-ls-app.apps.svc.cluster.local:8086`,
		})
		await commit(edge, changed)
		expect((await reconcileNow({ trigger: 'push' })).status).toBe('applied')
		const back = await reconcileNow({ trigger: 'rollback' })
		expect(back.status).toBe('applied')
		expect(live(edge).ingress).toEqual(first.ingress)
		const again = await reconcileNow({ trigger: 'rollback' })
		expect(again.status).toBe('in_sync')
		expect(live(edge).ingress).toEqual(first.ingress)
	})

	it('a recorded tunnel document without its catch-all is refused, not pushed', async () => {
		await appliedOnce()
		await commit(
			edge,
			desiredYaml({ rules: '    - hostname: label.example.com\n      service: http://x:80' }),
		)
		expect((await reconcileNow({ trigger: 'push' })).status).toBe('applied')
		// The document a rollback would return to was damaged in storage.
		await env.DB.prepare(
			`UPDATE applications SET document = json_set(document, '$.ingress', json_array(json_object('hostname', 'a.example.com', 'service', 'http://a:80')))
			 WHERE id = (SELECT MIN(id) FROM applications WHERE resource = ?)`,
		)
			.bind(`tunnel:${DEFAULT_TUNNEL_ID}`)
			.run()
		edge.cloudflare.clearRequests()
		const back = await reconcileNow({ trigger: 'rollback' })
		expect(back.status).toBe('refused')
		expect(back.summary).toMatch(/does not end with exactly one catch-all rule/)
		expect(edge.cloudflare.writes()).toEqual([])
	})
})

describe('A converged edge stays converged', () => {
	it('after all of it, one more run finds everything in sync', async () => {
		await appliedOnce()
		await expectConverged(edge, desiredYaml())
	})
})
