/**
 * Concurrent Flux events for one object (docs/reliability.md, "Flux events racing for one object"). Each event is one atomic write
 * that holds only against the object version it was computed from; the loser of a race writes
 * nothing and is answered 503 with Retry-After, and Flux sends it again. No retry loop runs inside
 * the request. The sender here behaves like notification-controller's (go-retryablehttp: RetryMax
 * 4, so five tries; 5xx and 429 retried; Retry-After honoured on 503, else 2 s, 4 s, 8 s…), with one
 * second of its waits played as SECOND_MS milliseconds.
 */
import { env, exports } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { ingestFluxEvent } from '../../src/app/flux/ingest.ts'
import { verifyFluxDelivery } from '../../src/webhooks/flux.ts'
import { buildDeps } from '../../workers/deps.ts'
import {
	FLUX_SECRET,
	fluxDelivery,
	fluxEvent,
	resetLedger,
	useAlertCapture,
} from '../integration/support/flux.ts'

useAlertCapture()
beforeEach(resetLedger)

/** notification-controller's RetryMax is 4: five tries in all. */
const FLUX_TRIES = 5
const SECOND_MS = 10

interface Sent {
	status: number
	tries: number
	/** Seconds the sender waited between tries, as Flux would have. */
	waitedSeconds: number
	/** Each 503 answer the sender saw: its Retry-After and error code. */
	busy: { retryAfter: string | null; code: string }[]
}

/** Sends one event the way notification-controller does, retries included. */
async function sendLikeFlux(body: string): Promise<Sent> {
	const sent: Sent = { status: 0, tries: 0, waitedSeconds: 0, busy: [] }
	for (let attempt = 0; attempt < FLUX_TRIES; attempt++) {
		const response = await exports.default.fetch(await fluxDelivery(body))
		sent.tries++
		sent.status = response.status
		if (response.status < 500 && response.status !== 429) {
			await response.body?.cancel()
			return sent
		}
		const retryAfter = response.headers.get('retry-after')
		sent.busy.push({
			retryAfter,
			code: (await response.json<{ error: { code: string } }>()).error.code,
		})
		const wait = retryAfter === null ? 2 * 2 ** attempt : Number(retryAfter)
		sent.waitedSeconds += wait
		await new Promise((resolve) => setTimeout(resolve, wait * SECOND_MS))
	}
	return sent
}

async function rows<T>(sql: string): Promise<T[]> {
	return (await env.DB.prepare(sql).all<T>()).results
}

/** `distinct` events for one object, each delivered `copies` times at once (Flux's own resends). */
async function burst(distinct: number, copies: number) {
	const bodies = Array.from({ length: distinct }, (_, i) =>
		fluxEvent({
			name: 'busy',
			at: i,
			severity: i % 2 === 0 ? 'info' : 'error',
			reason: i % 2 === 0 ? 'ReconciliationSucceeded' : 'HealthCheckFailed',
			message: `event ${i}`,
		}),
	)
	const deliveries = bodies.flatMap((body) => Array.from({ length: copies }, () => body))
	const started = Date.now()
	const sent = await Promise.all(deliveries.map(sendLikeFlux))
	return { bodies, sent, wallMs: Date.now() - started }
}

describe('Flux intake: concurrent events for one object', () => {
	it('15 deliveries at once (5 events × 3 copies): every event recorded once, none lost, the object folded from all 5', async () => {
		const { sent } = await burst(5, 3)
		// Each try fails only if another event's write landed during it, and there are 4 others:
		// five tries always suffice for five distinct events, whatever the timing.
		expect(sent.every((s) => s.status === 202 || s.status === 200)).toBe(true)
		expect(sent.filter((s) => s.status === 202)).toHaveLength(5)
		for (const busy of sent.flatMap((s) => s.busy)) {
			expect(busy.code).toBe('unavailable')
			expect(Number(busy.retryAfter)).toBeGreaterThanOrEqual(1)
			expect(Number(busy.retryAfter)).toBeLessThanOrEqual(5)
		}
		const events = await rows<{ message: string }>(
			"SELECT message FROM flux_events WHERE name = 'busy' ORDER BY message",
		)
		expect(events.map((e) => e.message)).toEqual([0, 1, 2, 3, 4].map((i) => `event ${i}`))
		const [object] = await rows<{
			events: number
			version: number
			state: string
			last_message: string
		}>("SELECT events, version, state, last_message FROM flux_objects WHERE name = 'busy'")
		// Folded from all five, newest last, whatever order they won in.
		expect(object).toEqual({ events: 5, version: 5, state: 'ok', last_message: 'event 4' })
		const conflicts = sent.reduce((n, s) => n + s.busy.length, 0)
		const maxTries = Math.max(...sent.map((s) => s.tries))
		const waited = Math.max(...sent.map((s) => s.waitedSeconds))
		console.log(
			JSON.stringify({
				measured: 'flux-contention',
				deliveries: sent.length,
				answered503: conflicts,
				maxTries,
				longestFluxWaitSeconds: waited,
			}),
		)
	})

	it('the loser of a race writes nothing and says "busy"; sent again, it is recorded', async () => {
		const deps = buildDeps(env)
		const verified = async (body: string) => {
			const request = await fluxDelivery(body)
			const bytes = new Uint8Array(await request.arrayBuffer())
			const v = await verifyFluxDelivery(
				{ signature: request.headers.get('x-signature'), authorization: null },
				bytes,
				{ hmacKeys: [FLUX_SECRET], bearerTokens: [] },
			)
			if (!v.ok) {
				throw new Error(v.error.message)
			}
			return v.value
		}
		const first = await verified(fluxEvent({ name: 'race', at: 1, message: 'first' }))
		const second = await verified(fluxEvent({ name: 'race', at: 2, message: 'second' }))
		await ingestFluxEvent(deps, first)
		// The second event reads the object, then the first's successor lands before it writes.
		const interloper = await verified(fluxEvent({ name: 'race', at: 3, message: 'interloper' }))
		const racing = {
			...deps,
			fluxLedger: {
				...deps.fluxLedger,
				getObject: async (ref: Parameters<typeof deps.fluxLedger.getObject>[0]) => {
					const seen = await deps.fluxLedger.getObject(ref)
					await ingestFluxEvent(deps, interloper)
					return seen
				},
			},
		}
		expect(await ingestFluxEvent(racing, second)).toEqual({
			kind: 'busy',
			object: 'Kustomization/flux-system/race',
		})
		expect(
			(await rows<{ message: string }>("SELECT message FROM flux_events WHERE name = 'race'")).map(
				(r) => r.message,
			),
		).toEqual(['first', 'interloper'])
		expect(await ingestFluxEvent(deps, second)).toMatchObject({ kind: 'recorded' })
		const [object] = await rows<{ events: number }>(
			"SELECT events FROM flux_objects WHERE name = 'race'",
		)
		expect(object?.events).toBe(3)
	})
})
