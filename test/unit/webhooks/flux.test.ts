/**
 * Properties of the Flux webhook parsers (src/webhooks/flux.ts): authentication over raw bytes
 * and the tolerant event schema, on generated deliveries.
 */
import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseFluxEvent, verifyFluxDelivery } from '../../../src/webhooks/flux.ts'

const event = fc.record(
	{
		involvedObject: fc.record(
			{
				kind: fc.constantFrom('Kustomization', 'HelmRelease', 'GitRepository'),
				namespace: fc.string({ minLength: 1, maxLength: 20 }),
				name: fc.string({ minLength: 1, maxLength: 40 }),
			},
			{ requiredKeys: ['kind', 'name'] },
		),
		severity: fc.constantFrom('info', 'error', 'trace', 'warning'),
		message: fc.string({ maxLength: 200 }),
		reason: fc.string({ maxLength: 40 }),
		// A `__proto__` key is left out: the parser drops it rather than keep it (see below).
		metadata: fc.dictionary(
			fc.string({ maxLength: 20 }).filter((key) => key !== '__proto__'),
			fc.string({ maxLength: 60 }),
			{ maxKeys: 3 },
		),
		reportingController: fc.constantFrom('kustomize-controller', 'helm-controller'),
	},
	{ requiredKeys: ['involvedObject', 'severity'] },
)

const encode = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value))
const KEY = 'flux-hmac-key-0123456789abcdef0123'
const sign = (body: Uint8Array): string =>
	`sha256=${createHmac('sha256', KEY).update(body).digest('hex')}`
const credentials = { hmacKeys: [KEY], bearerTokens: [] }

describe('parseFluxEvent', () => {
	it('never throws, whatever JSON arrives; a refusal names a field', () => {
		fc.assert(
			fc.property(fc.jsonValue(), (json) => {
				const parsed = parseFluxEvent(json)
				if (!parsed.ok) {
					expect(parsed.message).toMatch(/^invalid Flux event: /)
				}
			}),
		)
	})

	it('keeps every field tidegate reads of any event, unknown fields allowed', () => {
		fc.assert(
			fc.property(event, fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }), (e, extra) => {
				const parsed = parseFluxEvent({ ...extra, ...e })
				expect(parsed.ok).toBe(true)
				expect(parsed.ok && parsed.value).toMatchObject({
					involvedObject: e.involvedObject,
					severity: e.severity,
					message: e.message ?? '',
					reason: e.reason ?? '',
					metadata: e.metadata,
				})
			}),
		)
	})

	it('drops a `__proto__` metadata key instead of letting it reach an object prototype', () => {
		const parsed = parseFluxEvent(
			JSON.parse(
				'{"involvedObject":{"kind":"Kustomization","name":"apps"},"severity":"info","metadata":{"__proto__":{"polluted":"yes"},"revision":"main@sha1:abc"}}',
			),
		)
		expect(parsed.ok).toBe(true)
		const metadata = parsed.ok ? parsed.value.metadata : {}
		expect(metadata).toEqual({ revision: 'main@sha1:abc' })
		expect(Object.getPrototypeOf(metadata)).not.toHaveProperty('polluted')
		expect(({} as Record<string, unknown>).polluted).toBeUndefined()
	})
})

describe('verifyFluxDelivery', () => {
	it('accepts any signed event, keeping the raw body and its hash', () => {
		fc.assert(
			fc.asyncProperty(event, async (e) => {
				const body = encode(e)
				const verified = await verifyFluxDelivery(
					{ signature: sign(body), authorization: null },
					body,
					credentials,
				)
				expect(verified.ok).toBe(true)
				expect(verified.ok && verified.value.rawBody).toBe(JSON.stringify(e))
				expect(verified.ok && verified.value.bodyHash).toMatch(/^[0-9a-f]{64}$/)
			}),
		)
	})

	it('refuses as unauthorized any body changed after signing, before reading it', () => {
		fc.assert(
			fc.asyncProperty(event, fc.nat(), fc.integer({ min: 1, max: 255 }), async (e, at, delta) => {
				const body = encode(e)
				const altered = body.slice()
				const i = at % body.length
				altered[i] = ((altered[i] as number) + delta) % 256
				const verified = await verifyFluxDelivery(
					{ signature: sign(body), authorization: null },
					altered,
					credentials,
				)
				expect(!verified.ok && verified.error.code).toBe('unauthorized')
			}),
		)
	})

	it('refuses a signed body that is not an event as a bad request', () => {
		fc.assert(
			fc.asyncProperty(fc.jsonValue(), async (json) => {
				fc.pre(parseFluxEvent(json).ok === false)
				const body = encode(json)
				const verified = await verifyFluxDelivery(
					{ signature: sign(body), authorization: null },
					body,
					credentials,
				)
				expect(!verified.ok && verified.error.code).toBe('bad_request')
			}),
		)
	})
})
