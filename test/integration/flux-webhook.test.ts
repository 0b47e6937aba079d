import { env, exports } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { createApp } from '../../src/http/app.ts'
import { hmacSha256Hex } from '../../src/lib/secrets.ts'
import { buildDeps } from '../../workers/deps.ts'
import {
	FLUX_SECRET,
	FLUX_SECRET_PREVIOUS,
	FLUX_TOKEN,
	fluxDelivery,
	fluxEvent,
	resetLedger,
	sendFlux,
	sha,
	useAlertCapture,
} from './support/flux.ts'

// Transitions queue alerts; the stand-in endpoint takes them so the consumer has somewhere to send.
useAlertCapture()

async function eventCount(): Promise<number> {
	return (
		(await env.DB.prepare('SELECT COUNT(*) AS n FROM flux_events').first<{ n: number }>())?.n ?? 0
	)
}

async function lastEvent() {
	return env.DB.prepare(
		'SELECT kind, namespace, name, revision, commit_sha, outcome, failure_class, metadata, body FROM flux_events ORDER BY id DESC LIMIT 1',
	).first<{
		kind: string
		namespace: string
		name: string
		revision: string | null
		commit_sha: string | null
		outcome: string
		failure_class: string | null
		metadata: string
		body: string
	}>()
}

/** The app with the real bindings but other Flux secrets (the rest of the suite uses the test binding). */
function appWithFluxSecrets(flux: string[], fluxBearer: string[] = []) {
	return createApp(async (c, next) => {
		const deps = buildDeps(env)
		c.set('deps', { ...deps, webhookSecrets: { ...deps.webhookSecrets, flux, fluxBearer } })
		await next()
	})
}

const okEvent = () =>
	fluxEvent({
		name: `apps-${crypto.randomUUID().slice(0, 8)}`,
		metadata: { revision: `main@sha1:${sha('ok')}` },
	})

beforeEach(resetLedger)

describe('POST /webhooks/flux: generic-hmac signatures', () => {
	// notification-controller's own forwarder test vector, re-derived (docs/outside-apis.md, Flux: generic-hmac).
	const VECTOR_KEY = '7152fed34dd6149a7c75a276c510da27cb6f82b0'
	const VECTOR_BODY =
		'{"involvedObject":{"kind":"GitRepository","namespace":"gitops-system","name":"webapp"},"severity":"info","timestamp":"2022-09-30T06:40:29Z","message":"message","reason":"reason","metadata":{"test":"metadata"},"reportingController":"source-controller","reportingInstance":"source-controller-xyz"}'
	const VECTOR_SIGNATURE = 'sha256=65b018549b1254e7226d1c08f9567ee45bc9de0fc4e7b1a40253f9a018b08be7'

	it("passes notification-controller's published test vector end to end", async () => {
		expect(`sha256=${await hmacSha256Hex(VECTOR_KEY, VECTOR_BODY)}`).toBe(VECTOR_SIGNATURE)
		const app = appWithFluxSecrets([VECTOR_KEY])
		const request = new Request('https://tidegate.test/webhooks/flux', {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'x-signature': VECTOR_SIGNATURE },
			body: VECTOR_BODY,
		})
		const res = await app.fetch(request, env)
		expect(res.status).toBe(202)
		expect(await res.json()).toMatchObject({
			status: 'recorded',
			object: 'GitRepository/gitops-system/webapp',
			outcome: 'progress',
		})
		const row = await lastEvent()
		expect(row).toMatchObject({ kind: 'GitRepository', namespace: 'gitops-system', name: 'webapp' })
		expect(JSON.parse(row?.metadata ?? '{}')).toEqual({ test: 'metadata' })
		expect(row?.body).toBe(VECTOR_BODY)
	})

	it('refuses the vector under another key', async () => {
		const app = appWithFluxSecrets(['another key'])
		const res = await app.fetch(
			new Request('https://tidegate.test/webhooks/flux', {
				method: 'POST',
				headers: { 'content-type': 'application/json', 'x-signature': VECTOR_SIGNATURE },
				body: VECTOR_BODY,
			}),
			env,
		)
		expect(res.status).toBe(401)
	})

	it('accepts an event signed with FLUX_WEBHOOK_SECRET: 202 and recorded', async () => {
		const res = await sendFlux(okEvent())
		expect(res.status).toBe(202)
		expect(await res.json()).toMatchObject({ status: 'recorded', outcome: 'success' })
		expect(await eventCount()).toBe(1)
	})

	it('accepts FLUX_WEBHOOK_SECRET_PREVIOUS while it is set (rotation)', async () => {
		const res = await sendFlux(okEvent(), { secret: FLUX_SECRET_PREVIOUS })
		expect(res.status).toBe(202)
	})

	const refusals: [string, () => Promise<Request>, RegExp][] = [
		['a wrong secret', () => fluxDelivery(okEvent(), { secret: 'wrong' }), /does not match/],
		['no credentials at all', () => fluxDelivery(okEvent(), { signature: null }), /missing/],
		['an empty sha256=', () => fluxDelivery(okEvent(), { signature: 'sha256=' }), /malformed/],
		[
			'a signature without an algorithm',
			async () => {
				const good = (await fluxDelivery(okEvent())).headers.get('x-signature') ?? ''
				return fluxDelivery(okEvent(), { signature: good.replace('sha256=', '') })
			},
			/malformed/,
		],
		[
			'a signature with several =',
			() => fluxDelivery(okEvent(), { signature: `sha256=${'a'.repeat(32)}=${'b'.repeat(31)}` }),
			/malformed/,
		],
		[
			'uppercase hex',
			async () => {
				const body = okEvent()
				const hex = await hmacSha256Hex(FLUX_SECRET, body)
				return fluxDelivery(body, { signature: `sha256=${hex.toUpperCase()}` })
			},
			/malformed/,
		],
		[
			'sha512=',
			() => fluxDelivery(okEvent(), { signature: `sha512=${'a'.repeat(128)}` }),
			/uses sha512; tidegate accepts only sha256/,
		],
		['md5=', () => fluxDelivery(okEvent(), { signature: `md5=${'a'.repeat(32)}` }), /uses md5/],
		[
			'a wrong bearer token',
			() => fluxDelivery(okEvent(), { authorization: 'Bearer not-the-secret' }),
			/does not match/,
		],
		[
			'Basic instead of Bearer',
			() => fluxDelivery(okEvent(), { authorization: `Basic ${btoa(`flux:${FLUX_SECRET}`)}` }),
			/malformed/,
		],
	]
	for (const [name, build, message] of refusals) {
		it(`refuses ${name} with 401 and records nothing`, async () => {
			const res = await exports.default.fetch(await build())
			expect(res.status).toBe(401)
			const body = await res.json<{ error: { code: string; message: string } }>()
			expect(body.error.code).toBe('unauthorized')
			expect(body.error.message).toMatch(message)
			expect(await eventCount()).toBe(0)
		})
	}

	it('refuses a body tampered with after signing', async () => {
		const signed = await fluxDelivery(okEvent())
		const tampered = new Request(signed.url, {
			method: 'POST',
			headers: signed.headers,
			body: okEvent().replace('"info"', '"error"'),
		})
		expect((await exports.default.fetch(tampered)).status).toBe(401)
		expect(await eventCount()).toBe(0)
	})

	it('fails closed: with no Flux secret configured every event is refused (503), signed or not', async () => {
		const app = appWithFluxSecrets([])
		const body = okEvent()
		for (const request of [
			await fluxDelivery(body),
			await fluxDelivery(body, { authorization: `Bearer ${FLUX_SECRET}` }),
			await fluxDelivery(body, { signature: null }),
		]) {
			const res = await app.fetch(request, env)
			expect(res.status).toBe(503)
			expect(await res.json()).toMatchObject({ error: { code: 'unavailable' } })
		}
		expect(await eventCount()).toBe(0)
	})
})

describe('POST /webhooks/flux: generic provider with a bearer header', () => {
	it('accepts Authorization: Bearer <FLUX_WEBHOOK_TOKEN>', async () => {
		const res = await sendFlux(okEvent(), { authorization: `Bearer ${FLUX_TOKEN}` })
		expect(res.status).toBe(202)
	})

	it('never accepts the HMAC key (current or previous) as a bearer token', async () => {
		for (const key of [FLUX_SECRET, FLUX_SECRET_PREVIOUS]) {
			const res = await sendFlux(okEvent(), { authorization: `Bearer ${key}` })
			expect(res.status).toBe(401)
			expect(await res.json()).toMatchObject({
				error: { code: 'unauthorized', message: expect.stringMatching(/does not match/) },
			})
		}
		expect(await eventCount()).toBe(0)
	})

	it('is off without FLUX_WEBHOOK_TOKEN: a bearer is refused with how to turn it on', async () => {
		const res = await appWithFluxSecrets([FLUX_SECRET]).fetch(
			await fluxDelivery(okEvent(), { authorization: `Bearer ${FLUX_TOKEN}` }),
			env,
		)
		expect(res.status).toBe(401)
		expect(await res.json()).toMatchObject({
			error: { message: expect.stringContaining('set FLUX_WEBHOOK_TOKEN') },
		})
	})

	it('refuses a token that reuses the HMAC key, and says so on /healthz', async () => {
		const app = createApp(async (c, next) => {
			c.set('deps', buildDeps({ ...env, FLUX_WEBHOOK_TOKEN: FLUX_SECRET } as Env))
			await next()
		})
		const bearer = await app.fetch(
			await fluxDelivery(okEvent(), { authorization: `Bearer ${FLUX_SECRET}` }),
			env,
		)
		expect(bearer.status).toBe(401)
		const health = await (await app.fetch(new Request('https://tidegate.test/healthz'), env)).json<{
			configProblems: string[]
		}>()
		expect(health.configProblems).toEqual([
			expect.stringMatching(/^FLUX_WEBHOOK_TOKEN is the same value as the Flux HMAC key/),
		])
		expect(JSON.stringify(health)).not.toContain(FLUX_SECRET)
	})

	it('lets a present X-Signature decide, even next to a valid bearer', async () => {
		const res = await sendFlux(okEvent(), {
			signature: `sha256=${'0'.repeat(64)}`,
			authorization: `Bearer ${FLUX_TOKEN}`,
		})
		expect(res.status).toBe(401)
	})
})

describe('POST /webhooks/flux: body checks before and after authentication', () => {
	it('refuses another content type with 415', async () => {
		expect((await sendFlux(okEvent(), { contentType: 'text/plain' })).status).toBe(415)
	})

	it('refuses a body over 1 MiB with 413 before reading it', async () => {
		const big = fluxEvent({ name: 'big', message: 'x'.repeat(1024 * 1024) })
		expect((await sendFlux(big)).status).toBe(413)
	})

	it('answers 400 to a signed body that is not JSON, or not an event', async () => {
		for (const body of [
			'{"involvedObject":',
			'[]',
			'null',
			'{"severity":"info"}',
			fluxEvent({ name: 'x', at: 'yesterday' }),
		]) {
			const res = await sendFlux(body)
			expect(res.status, body).toBe(400)
		}
		expect(await eventCount()).toBe(0)
	})

	it('has no other method on the path', async () => {
		const res = await exports.default.fetch(new Request('https://tidegate.test/webhooks/flux'))
		expect(res.status).toBe(404)
	})
})

describe('idempotency: Flux retries up to five times with the same body', () => {
	it('counts five identical sends once: 202, then 200 duplicate four times', async () => {
		const body = fluxEvent({
			kind: 'HelmRelease',
			namespace: 'web',
			name: 'shop',
			severity: 'error',
			reason: 'InstallFailed',
			message: 'Helm install failed for release web/shop with chart shop@1.2.0: boom',
			metadata: { revision: '1.2.0', 'app-version': '1.2.0' },
		})
		const statuses: number[] = []
		let firstId = 0
		for (let i = 0; i < 5; i++) {
			const res = await sendFlux(body)
			statuses.push(res.status)
			const json = await res.json<{ eventId: number; duplicate?: boolean }>()
			if (i === 0) {
				firstId = json.eventId
			} else {
				expect(json).toEqual({ eventId: firstId, duplicate: true })
			}
		}
		expect(statuses).toEqual([202, 200, 200, 200, 200])
		expect(await eventCount()).toBe(1)
		const object = await env.DB.prepare(
			"SELECT events, state FROM flux_objects WHERE name = 'shop'",
		).first()
		expect(object).toEqual({ events: 1, state: 'failing' })
		const spans = await env.DB.prepare(
			"SELECT COUNT(*) AS n FROM flux_failures WHERE name = 'shop'",
		).first()
		expect(spans).toEqual({ n: 1 })
	})

	it('counts five identical sends racing each other once', async () => {
		const body = okEvent()
		const responses = await Promise.all(Array.from({ length: 5 }, () => sendFlux(body)))
		const statuses = responses.map((r) => r.status).sort()
		expect(statuses).toEqual([200, 200, 200, 200, 202])
		expect(await eventCount()).toBe(1)
	})

	it('records the same event with another message as a new event', async () => {
		await sendFlux(
			fluxEvent({ name: 'infra', message: 'Reconciliation finished in 1s, next run in 5m0s' }),
		)
		await sendFlux(
			fluxEvent({ name: 'infra', message: 'Reconciliation finished in 2s, next run in 5m0s' }),
		)
		expect(await eventCount()).toBe(2)
	})

	it('answers the loser of a concurrent write 503 with Retry-After, having written nothing; sent again, it is recorded', async () => {
		const bodies = Array.from({ length: 6 }, (_, i) =>
			fluxEvent({
				name: 'busy',
				at: i,
				message: `Reconciliation finished in ${i}s, next run in 5m0s`,
			}),
		)
		let pending = bodies
		for (let round = 0; pending.length > 0; round++) {
			expect(round, 'each round records at least one event').toBeLessThan(bodies.length)
			const responses = await Promise.all(pending.map((b) => sendFlux(b)))
			const busy: string[] = []
			for (const [i, res] of responses.entries()) {
				if (res.status === 503) {
					expect(res.headers.get('retry-after')).toMatch(/^[1-5]$/)
					expect(await res.json()).toMatchObject({
						error: { code: 'unavailable', message: expect.stringContaining('send it again') },
					})
					busy.push(pending[i] as string)
				} else {
					expect(res.status).toBe(202)
				}
			}
			expect(busy.length).toBeLessThan(pending.length)
			expect(await eventCount()).toBe(bodies.length - busy.length)
			pending = busy
		}
		const object = await env.DB.prepare(
			"SELECT events, version FROM flux_objects WHERE name = 'busy'",
		).first()
		expect(object).toEqual({ events: 6, version: 6 })
	})
})

describe('tolerant schema', () => {
	const commit = sha('tolerant')

	it('reads the prefixed metadata key older notification-controllers send', async () => {
		const res = await sendFlux(
			fluxEvent({
				name: 'infra',
				metadata: { 'kustomize.toolkit.fluxcd.io/revision': `main@sha1:${commit}` },
			}),
		)
		expect(res.status).toBe(202)
		expect(await lastEvent()).toMatchObject({ revision: `main@sha1:${commit}`, commit_sha: commit })
	})

	it('reads the bare metadata key current notification-controllers send', async () => {
		await sendFlux(fluxEvent({ name: 'infra', metadata: { revision: `main@sha1:${commit}` } }))
		const row = await lastEvent()
		expect(row).toMatchObject({ revision: `main@sha1:${commit}`, commit_sha: commit })
		expect(JSON.parse(row?.metadata ?? '{}')).toEqual({ revision: `main@sha1:${commit}` })
	})

	it('reads the legacy main/<sha> revision as the same commit as main@sha1:<sha>', async () => {
		await sendFlux(
			fluxEvent({
				name: 'legacy',
				severity: 'error',
				reason: 'ValidationFailed',
				message:
					'Deployment/apps/web dry-run failed (Invalid): Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1',
				metadata: { 'kustomize.toolkit.fluxcd.io/revision': `main/${commit}` },
			}),
		)
		expect(await lastEvent()).toMatchObject({
			revision: `main/${commit}`,
			commit_sha: commit,
			failure_class: 'validation-error',
		})
		await sendFlux(fluxEvent({ name: 'current', metadata: { revision: `main@sha1:${commit}` } }))
		const revisions = await env.DB.prepare(
			'SELECT revision_key, commit_sha FROM flux_revisions',
		).all()
		expect(revisions.results).toEqual([{ revision_key: commit, commit_sha: commit }])
	})

	it('reads a HelmRelease chart-version revision (helm.toolkit.fluxcd.io/revision)', async () => {
		await sendFlux(
			fluxEvent({
				kind: 'HelmRelease',
				namespace: 'web',
				name: 'shop',
				reason: 'UpgradeSucceeded',
				message: 'Helm upgrade succeeded for release web/shop.v2 with chart shop@6.5.3',
				metadata: {
					'helm.toolkit.fluxcd.io/revision': '6.5.3',
					'helm.toolkit.fluxcd.io/app-version': '2.1.0',
				},
			}),
		)
		const row = await lastEvent()
		expect(row).toMatchObject({ revision: '6.5.3', commit_sha: null, outcome: 'success' })
		expect(JSON.parse(row?.metadata ?? '{}')).toEqual({ revision: '6.5.3', 'app-version': '2.1.0' })
	})

	it('keeps unknown fields, accepts an unknown severity and a missing metadata map', async () => {
		const body = fluxEvent({
			name: 'future',
			severity: 'warning',
			reason: 'SomethingNew',
			metadata: null,
			extra: { correlationID: 'abc', annotations: { team: 'platform' } },
		})
		const res = await sendFlux(body)
		expect(res.status).toBe(202)
		const row = await lastEvent()
		expect(row?.outcome).toBe('progress')
		expect(JSON.parse(row?.body ?? '{}')).toMatchObject({
			correlationID: 'abc',
			annotations: { team: 'platform' },
		})
	})

	it('records illustrative kustomize- and helm-controller events as sent', async () => {
		const kustomization =
			'{"involvedObject":{"kind":"Kustomization","namespace":"flux-system","name":"infra","uid":"11111111-2222-3333-4444-555555555555","apiVersion":"kustomize.toolkit.fluxcd.io/v1","resourceVersion":"42"},"severity":"info","timestamp":"2026-01-02T03:04:05Z","message":"Reconciliation finished in 812.4ms, next run in 5m0s","reason":"ReconciliationSucceeded","metadata":{"commit_status":"update","revision":"main@sha1:0123456789abcdef0123456789abcdef01234567"},"reportingController":"kustomize-controller","reportingInstance":"kustomize-controller-abc"}'
		const helm =
			'{"involvedObject":{"kind":"HelmRelease","namespace":"web","name":"shop","uid":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","apiVersion":"helm.toolkit.fluxcd.io/v2","resourceVersion":"7"},"severity":"error","timestamp":"2026-01-02T03:05:00Z","message":"Helm install failed for release web/shop with chart shop@1.2.0: Unable to continue with install: ConfigMap \\"shop-cfg\\" in namespace \\"web\\" exists and cannot be imported into the current release: invalid ownership metadata; annotation validation error: missing key \\"meta.helm.sh/release-name\\": must be set to \\"shop\\"","reason":"InstallFailed","metadata":{"app-version":"1.2.0","revision":"1.2.0"},"reportingController":"helm-controller","reportingInstance":"helm-controller-xyz"}'
		expect(await (await sendFlux(kustomization)).json()).toMatchObject({ outcome: 'success' })
		const res = await sendFlux(helm)
		expect(await res.json()).toMatchObject({
			object: 'HelmRelease/web/shop',
			outcome: 'failure',
			failureClass: 'helm-ownership-conflict',
		})
		// The HelmRelease carries a chart version; it is filed under the commit infra was applying.
		expect(await lastEvent()).toMatchObject({
			revision: '1.2.0',
			commit_sha: '0123456789abcdef0123456789abcdef01234567',
		})
	})
})
