import { exports } from 'cloudflare:workers'
import type { z } from '@hono/zod-openapi'
import { beforeAll, describe, expect, it } from 'vitest'
import type { deploymentSchema, fluxEventSchema } from '../../src/http/api/flux-schemas.ts'
import {
	ADMIN,
	adminGet,
	fluxEvent,
	kustomizationApplied,
	resetLedger,
	sendAll,
	sha,
	useAlertCapture,
} from './support/flux.ts'

// Transitions queue alerts; the stand-in endpoint takes them so the consumer has somewhere to send.
useAlertCapture()

// The API's own schemas: the test reads the answers as the OpenAPI document describes them.
type EventItem = z.infer<typeof fluxEventSchema>
type DeploymentItem = z.infer<typeof deploymentSchema>
interface Page<T> {
	items: T[]
	nextCursor: string | null
}

const [c1, c2, c3] = [sha('api-1'), sha('api-2'), sha('api-3')]

// One history for the whole file: three commits, a failure, a chart-only HelmRelease, a source.
beforeAll(async () => {
	await resetLedger()
	await sendAll(
		kustomizationApplied('infra', c1, 0),
		kustomizationApplied('apps', c1, 10),
		kustomizationApplied('infra', c2, 100),
		fluxEvent({
			name: 'apps',
			at: 110,
			severity: 'error',
			reason: 'HealthCheckFailed',
			message:
				"health check failed after 5m0s: timeout waiting for: [Deployment/apps/web status: 'InProgress']",
			metadata: { revision: `main@sha1:${c2}` },
		}),
		fluxEvent({
			name: 'apps',
			at: 200,
			reason: 'Progressing',
			message: 'Deployment/apps/web configured',
			metadata: { revision: `main@sha1:${c3}` },
		}),
		fluxEvent({
			kind: 'GitRepository',
			name: 'flux-system',
			at: 190,
			reason: 'NewArtifact',
			message: `stored artifact for commit 'Bump web'`,
			controller: 'source-controller',
			metadata: { revision: `main@sha1:${c3}` },
		}),
	)
})

describe('admin auth on the ledger routes', () => {
	for (const path of [
		'/api/deployments',
		'/api/deployments/success-rate',
		'/api/deployments/objects',
		'/api/events',
	]) {
		it(`${path} needs admin credentials`, async () => {
			const anonymous = await exports.default.fetch(new Request(`https://tidegate.test${path}`))
			expect(anonymous.status).toBe(401)
			const wrong = await exports.default.fetch(
				new Request(`https://tidegate.test${path}`, { headers: { authorization: 'Bearer nope' } }),
			)
			expect(wrong.status).toBe(401)
			const ok = await exports.default.fetch(
				new Request(`https://tidegate.test${path}`, { headers: ADMIN }),
			)
			expect(ok.status).toBe(200)
		})
	}

	it('documents the routes in the OpenAPI description', async () => {
		const { body } = await adminGet<{ paths: Record<string, unknown> }>('/api/openapi.json')
		expect(Object.keys(body.paths)).toEqual(
			expect.arrayContaining([
				'/deployments',
				'/deployments/success-rate',
				'/deployments/objects',
				'/events',
			]),
		)
	})
})

describe('GET /api/events', () => {
	it('lists every event newest first', async () => {
		const { body } = await adminGet<Page<EventItem>>('/api/events')
		expect(body.items).toHaveLength(6)
		const ids = body.items.map((e) => e.id)
		expect(ids).toEqual([...ids].sort((a, b) => b - a))
		expect(body.nextCursor).toBeNull()
	})

	it('pages with limit and cursor, without gaps or overlaps', async () => {
		const seen: number[] = []
		let cursor: string | null = null
		let pages = 0
		do {
			const query: string = cursor === null ? '' : `&cursor=${cursor}`
			const { body }: { body: Page<EventItem> } = await adminGet<Page<EventItem>>(
				`/api/events?limit=4${query}`,
			)
			seen.push(...body.items.map((e) => e.id))
			cursor = body.nextCursor
			pages++
		} while (cursor !== null)
		expect(pages).toBe(2)
		expect(new Set(seen).size).toBe(6)
	})

	const filters: [string, (e: EventItem) => boolean, number][] = [
		['kind=GitRepository', (e) => e.object.kind === 'GitRepository', 1],
		['namespace=flux-system&name=apps', (e) => e.object.name === 'apps', 3],
		['severity=error', (e) => e.severity === 'error', 1],
		['class=health-check-timeout', (e) => e.class === 'health-check-timeout', 1],
		['outcome=progress', (e) => e.outcome === 'progress', 1],
		[`revision=main@sha1:${c2}`, (e) => e.commitSha === c2, 2],
		[`revision=${c1}`, (e) => e.commitSha === c1, 2],
		[`revision=${c3.slice(0, 10)}`, (e) => e.commitSha === c3, 2],
	]
	for (const [query, match, count] of filters) {
		it(`filters by ${query.split('=')[0]}`, async () => {
			const { status, body } = await adminGet<Page<EventItem>>(`/api/events?${query}`)
			expect(status).toBe(200)
			expect(body.items).toHaveLength(count)
			expect(body.items.every(match)).toBe(true)
		})
	}

	it('refuses an unknown class or a bad limit with 400', async () => {
		expect((await adminGet('/api/events?class=bogus')).status).toBe(400)
		expect((await adminGet('/api/events?limit=0')).status).toBe(400)
		expect((await adminGet('/api/events?cursor=abc')).status).toBe(400)
	})
})

describe('GET /api/deployments', () => {
	it('lists revisions newest first with each object outcome and a status', async () => {
		const { body } = await adminGet<Page<DeploymentItem>>('/api/deployments')
		expect(body.items.map((d) => [d.commitSha, d.status])).toEqual([
			[c3, 'in_progress'],
			[c2, 'failed'],
			[c1, 'succeeded'],
		])
		// The GitRepository is recorded but is not a deployment object.
		expect(body.items[0]?.objects.map((o) => o.label)).toEqual(['Kustomization/flux-system/apps'])
		expect(body.items[1]?.objects).toEqual([
			expect.objectContaining({ label: 'Kustomization/flux-system/apps', outcome: 'failure' }),
			expect.objectContaining({ label: 'Kustomization/flux-system/infra', outcome: 'success' }),
		])
	})

	it('filters by status', async () => {
		for (const [status, commit] of [
			['succeeded', c1],
			['failed', c2],
			['in_progress', c3],
		] as const) {
			const { body } = await adminGet<Page<DeploymentItem>>(`/api/deployments?status=${status}`)
			expect(body.items.map((d) => d.commitSha)).toEqual([commit])
		}
	})

	it("filters by object, and with status by that object's outcome there", async () => {
		const infra = await adminGet<Page<DeploymentItem>>(
			'/api/deployments?object=Kustomization/flux-system/infra',
		)
		expect(infra.body.items.map((d) => d.commitSha)).toEqual([c2, c1])
		const infraOk = await adminGet<Page<DeploymentItem>>(
			'/api/deployments?object=infra&status=succeeded',
		)
		expect(infraOk.body.items.map((d) => d.commitSha)).toEqual([c2, c1])
		const appsFailed = await adminGet<Page<DeploymentItem>>(
			'/api/deployments?object=flux-system/apps&status=failed',
		)
		expect(appsFailed.body.items.map((d) => d.commitSha)).toEqual([c2])
		const nobody = await adminGet<Page<DeploymentItem>>(
			'/api/deployments?object=HelmRelease/web/none',
		)
		expect(nobody.body.items).toEqual([])
	})

	it('pages with limit and cursor', async () => {
		const first = await adminGet<Page<DeploymentItem>>('/api/deployments?limit=2')
		expect(first.body.items.map((d) => d.commitSha)).toEqual([c3, c2])
		expect(first.body.nextCursor).not.toBeNull()
		const second = await adminGet<Page<DeploymentItem>>(
			`/api/deployments?limit=2&cursor=${first.body.nextCursor}`,
		)
		expect(second.body.items.map((d) => d.commitSha)).toEqual([c1])
		expect(second.body.nextCursor).toBeNull()
	})

	it('refuses a malformed filter with 400', async () => {
		expect((await adminGet('/api/deployments?status=broken')).status).toBe(400)
		expect((await adminGet('/api/deployments?commit=xyz')).status).toBe(400)
		expect((await adminGet('/api/deployments?object=a/b/c/d')).status).toBe(400)
	})
})

describe('GET /api/deployments/objects', () => {
	it('lists objects failing first, with filters', async () => {
		const { body } = await adminGet<{
			items: { label: string; state: string; class: string | null }[]
		}>('/api/deployments/objects')
		expect(body.items[0]).toMatchObject({
			label: 'Kustomization/flux-system/apps',
			state: 'failing',
			class: 'health-check-timeout',
		})
		const failing = await adminGet<{ items: unknown[] }>('/api/deployments/objects?state=failing')
		expect(failing.body.items).toHaveLength(1)
		const sources = await adminGet<{ items: { label: string; state: string }[] }>(
			'/api/deployments/objects?kind=GitRepository',
		)
		expect(sources.body.items).toEqual([
			expect.objectContaining({ label: 'GitRepository/flux-system/flux-system', state: 'ok' }),
		])
	})
})

describe('GET /api/status', () => {
	it('lists the failing Flux objects and makes the overall health bad', async () => {
		const { body } = await adminGet<{
			health: { state: string; problems: string[] }
			flux: { failing: unknown[] }
		}>('/api/status')
		expect(body.flux.failing).toEqual([
			{
				kind: 'Kustomization',
				namespace: 'flux-system',
				name: 'apps',
				failureClass: 'health-check-timeout',
				failingSince: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
			},
		])
		expect(body.health.state).toBe('bad')
		expect(body.health.problems).toContain(
			'Flux: Kustomization/flux-system/apps is failing (health-check-timeout)',
		)
	})
})
