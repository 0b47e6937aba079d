import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { hintFor } from '../../src/domain/flux/classify.ts'
import { FAILURES } from '../fixtures/flux/messages.ts'
import {
	adminGet,
	atMs,
	fluxEvent,
	kustomizationApplied,
	resetLedger,
	sendAll,
	sendFlux,
	sha,
	useAlertCapture,
} from './support/flux.ts'

// Transitions queue alerts; the stand-in endpoint takes them so the consumer has somewhere to send.
useAlertCapture()

interface ObjectRow {
	state: string
	state_at: number | null
	failure_class: string | null
	failing_since: number | null
	last_good_revision: string | null
	last_good_at: number | null
	events: number
}

async function objectRow(name: string): Promise<ObjectRow | null> {
	return env.DB.prepare(
		'SELECT state, state_at, failure_class, failing_since, last_good_revision, last_good_at, events FROM flux_objects WHERE name = ?',
	)
		.bind(name)
		.first<ObjectRow>()
}

const failing = (name: string, at: number, revision: string, message?: string) =>
	fluxEvent({
		name,
		at,
		severity: 'error',
		reason: 'HealthCheckFailed',
		message:
			message ??
			`health check failed after 5m0s: timeout waiting for: [Deployment/apps/${name} status: 'InProgress']`,
		metadata: { revision: `main@sha1:${revision}` },
	})

beforeEach(resetLedger)

describe('object state', () => {
	it('does not let an older event regress the current state (out of order)', async () => {
		const c = sha('ooo')
		await sendAll(kustomizationApplied('apps', c, 100))
		const late = await sendFlux(failing('apps', 50, c))
		expect(late.status).toBe(202)
		expect(await late.json()).toMatchObject({ stale: true, transition: null })
		expect(await objectRow('apps')).toMatchObject({
			state: 'ok',
			state_at: atMs(100),
			failing_since: null,
			events: 2,
		})
		const stale = await env.DB.prepare(
			"SELECT stale FROM flux_events WHERE outcome = 'failure'",
		).first()
		expect(stale).toEqual({ stale: 1 })
		expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM flux_failures').first()).toEqual({
			n: 0,
		})
		// A newer failure does change it.
		await sendAll(failing('apps', 200, c))
		expect(await objectRow('apps')).toMatchObject({ state: 'failing', failing_since: atMs(200) })
	})

	it('an out-of-order success does not end a newer failure', async () => {
		const c = sha('ooo2')
		await sendAll(failing('db', 300, c), kustomizationApplied('db', c, 100))
		expect(await objectRow('db')).toMatchObject({ state: 'failing', failing_since: atMs(300) })
	})

	it('keeps the last good revision and failure → recovery spans with time to recover', async () => {
		const good = sha('good')
		const bad = sha('bad')
		const fixed = sha('fixed')
		await sendAll(
			kustomizationApplied('web', good, 0),
			failing('web', 100, bad),
			failing(
				'web',
				160,
				bad,
				'health check failed after 5m0.1s: timeout waiting for: [Deployment/apps/web]',
			),
		)
		expect(await objectRow('web')).toMatchObject({
			state: 'failing',
			failure_class: 'health-check-timeout',
			last_good_revision: `main@sha1:${good}`,
			last_good_at: atMs(0),
		})
		await sendAll(kustomizationApplied('web', fixed, 400))
		const spans = await env.DB.prepare(
			'SELECT failed_at, failed_revision, failure_class, recovered_at, recovered_revision, recover_ms FROM flux_failures',
		).all()
		expect(spans.results).toEqual([
			{
				failed_at: atMs(100),
				failed_revision: `main@sha1:${bad}`,
				failure_class: 'health-check-timeout',
				recovered_at: atMs(400),
				recovered_revision: `main@sha1:${fixed}`,
				recover_ms: 300_000,
			},
		])
		const { body } = await adminGet<{
			items: {
				label: string
				state: string
				lastGoodRevision: string
				recentFailures: { recoverMs: number; class: string }[]
			}[]
		}>('/api/deployments/objects?name=web')
		expect(body.items).toEqual([
			expect.objectContaining({
				label: 'Kustomization/flux-system/web',
				state: 'ok',
				lastGoodRevision: `main@sha1:${fixed}`,
				recentFailures: [
					expect.objectContaining({ recoverMs: 300_000, class: 'health-check-timeout' }),
				],
			}),
		])
	})
})

describe('classification of realistic controller messages', () => {
	for (const [i, f] of FAILURES.entries()) {
		it(`${f.name} → ${f.expected}`, async () => {
			const name = `obj-${i}`
			const res = await sendFlux(
				fluxEvent({
					kind: f.kind,
					namespace: 'apps',
					name,
					severity: f.severity,
					reason: f.reason,
					message: f.message,
					metadata: { revision: f.kind === 'HelmRelease' ? '1.2.0' : `main@sha1:${sha(name)}` },
				}),
			)
			expect(res.status).toBe(202)
			expect(await res.json()).toMatchObject({ outcome: 'failure', failureClass: f.expected })
			const { body } = await adminGet<{ items: { class: string; hint: string }[] }>(
				`/api/events?name=${name}&class=${f.expected}`,
			)
			expect(body.items).toEqual([
				expect.objectContaining({ class: f.expected, hint: hintFor(f.expected) }),
			])
		})
	}
})

describe('deployments: a commit joined with the push that carried it', () => {
	it('measures time from push to applied, across Kustomizations and the HelmReleases they changed', async () => {
		const c = sha('deploy')
		const pushedAt = atMs(0)
		await env.DB.prepare(
			`INSERT INTO github_deliveries (delivery_id, event, status, ref, after_sha, received_at)
			 VALUES (?1, 'push', 'queued', 'refs/heads/main', ?2, ?3)`,
		)
			.bind(crypto.randomUUID(), c, pushedAt)
			.run()
		await sendAll(
			fluxEvent({
				name: 'apps',
				at: 30,
				reason: 'Progressing',
				message: 'HelmRelease/web/shop configured',
				metadata: { revision: `main@sha1:${c}` },
			}),
			kustomizationApplied('infra', c, 45),
			kustomizationApplied('apps', c, 60),
			fluxEvent({
				kind: 'HelmRelease',
				namespace: 'web',
				name: 'shop',
				at: 90,
				reason: 'UpgradeSucceeded',
				message: 'Helm upgrade succeeded for release web/shop.v3 with chart shop@1.2.1',
				metadata: { revision: '1.2.1', 'app-version': '1.2.1' },
			}),
		)
		const { body } = await adminGet<{
			items: {
				commitSha: string
				revision: string
				status: string
				pushedAt: string
				appliedAt: string
				pushToAppliedMs: number
				objects: {
					label: string
					outcome: string
					revision: string
					commitInferred: boolean
					pushToAppliedMs: number
				}[]
			}[]
		}>(`/api/deployments?commit=${c.slice(0, 10)}`)
		expect(body.items).toHaveLength(1)
		expect(body.items[0]).toMatchObject({
			commitSha: c,
			revision: `main@sha1:${c}`,
			status: 'succeeded',
			pushedAt: new Date(pushedAt).toISOString(),
			appliedAt: new Date(atMs(90)).toISOString(),
			pushToAppliedMs: 90_000,
		})
		expect(body.items[0]?.objects).toEqual([
			expect.objectContaining({
				label: 'HelmRelease/web/shop',
				outcome: 'success',
				revision: '1.2.1',
				commitInferred: true,
				pushToAppliedMs: 90_000,
			}),
			expect.objectContaining({ label: 'Kustomization/flux-system/apps', pushToAppliedMs: 60_000 }),
			expect.objectContaining({
				label: 'Kustomization/flux-system/infra',
				pushToAppliedMs: 45_000,
			}),
		])
	})

	it('answers "where did commit X fail": the failed object, its class and hint', async () => {
		const c = sha('failed')
		const ownership = FAILURES.find((f) => f.expected === 'helm-ownership-conflict')
		await sendAll(
			kustomizationApplied('apps', c, 10),
			fluxEvent({
				kind: 'HelmRelease',
				namespace: 'web',
				name: 'shop',
				at: 20,
				severity: 'error',
				reason: 'InstallFailed',
				message: ownership?.message,
				metadata: { revision: '1.2.0' },
			}),
		)
		const { body } = await adminGet<{
			items: {
				status: string
				appliedAt: null
				objects: { outcome: string; class: string; hint: string }[]
			}[]
		}>(`/api/deployments?commit=${c}&status=failed`)
		expect(body.items).toHaveLength(1)
		expect(body.items[0]).toMatchObject({ status: 'failed', appliedAt: null })
		expect(body.items[0]?.objects).toContainEqual(
			expect.objectContaining({
				outcome: 'failure',
				class: 'helm-ownership-conflict',
				hint: hintFor('helm-ownership-conflict'),
			}),
		)
	})
})

describe('success rate', () => {
	// Event times relative to now: the window is measured back from the Worker's clock.
	const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString()
	const ok = (name: string, commit: string, minutes: number) =>
		fluxEvent({ name, at: ago(minutes), metadata: { revision: `main@sha1:${commit}` } })
	const fail = (name: string, commit: string, minutes: number, n = 1) =>
		fluxEvent({
			name,
			at: ago(minutes),
			severity: 'error',
			reason: 'ReconciliationFailed',
			message: `Deployment/apps/${name} dry-run failed (Invalid): attempt ${n}`,
			metadata: { revision: `main@sha1:${commit}` },
		})

	it('counts each object × revision once: retries of a failure are one failure', async () => {
		const [c1, c2, old] = [sha('c1'), sha('c2'), sha('old')]
		await sendAll(
			// a: fails at c1 three times (Flux retrying), succeeds at c2 → 1 success, 1 failure
			fail('a', c1, 60, 1),
			fail('a', c1, 50, 2),
			fail('a', c1, 40, 3),
			ok('a', c2, 30),
			// b: succeeds at c1; fails at c2, then succeeds at c2 (the newest decides) → 2 successes
			ok('b', c1, 55),
			fail('b', c2, 25),
			ok('b', c2, 20),
			// c: failed ten days ago: outside 7d, inside 30d
			fail('c', old, 10 * 24 * 60),
			// d: progress only: not counted
			fluxEvent({
				name: 'd',
				at: ago(5),
				reason: 'Progressing',
				message: 'Service/apps/d created',
				metadata: { revision: `main@sha1:${c1}` },
			}),
		)
		const week = await adminGet<{
			window: string
			definition: string
			overall: { successes: number; failures: number; total: number; rate: number }
			objects: { object: { label: string }; successes: number; failures: number; rate: number }[]
		}>('/api/deployments/success-rate')
		expect(week.status).toBe(200)
		expect(week.body.window).toBe('7d')
		expect(week.body.definition).toMatch(/successes \/ \(successes \+ failures\)/)
		expect(week.body.overall).toEqual({ successes: 3, failures: 1, total: 4, rate: 0.75 })
		expect(week.body.objects).toEqual([
			expect.objectContaining({
				object: expect.objectContaining({ label: 'Kustomization/flux-system/a' }),
				successes: 1,
				failures: 1,
				rate: 0.5,
			}),
			expect.objectContaining({
				object: expect.objectContaining({ label: 'Kustomization/flux-system/b' }),
				successes: 2,
				failures: 0,
				rate: 1,
			}),
		])
		const month = await adminGet<{
			overall: { successes: number; failures: number; rate: number }
		}>('/api/deployments/success-rate?window=30d')
		expect(month.body.overall).toEqual({ successes: 3, failures: 2, total: 5, rate: 0.6 })
		const one = await adminGet<{ overall: { rate: number; total: number } }>(
			'/api/deployments/success-rate?window=24h&object=flux-system/a',
		)
		expect(one.body.overall).toMatchObject({ total: 2, rate: 0.5 })
	})

	it('is null, not 0 or 100%, with no outcomes in the window', async () => {
		const { body } = await adminGet<{ overall: unknown; objects: unknown[] }>(
			'/api/deployments/success-rate?window=1h',
		)
		expect(body).toMatchObject({
			overall: { successes: 0, failures: 0, total: 0, rate: null },
			objects: [],
		})
	})

	it('refuses a window outside 1h..90d', async () => {
		for (const window of ['0h', '91d', '7w', 'week']) {
			const res = await adminGet(`/api/deployments/success-rate?window=${window}`)
			expect(res.status, window).toBe(400)
		}
	})
})
