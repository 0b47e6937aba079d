// The Flux webhook's authentication and body schema, called directly inside workerd.
import { describe, expect, it } from 'vitest'
import { hmacSha256Hex } from '../../src/lib/secrets.ts'
import { parseFluxEvent, verifyFluxAuth, verifyFluxDelivery } from '../../src/webhooks/flux.ts'

const enc = (s: string) => new TextEncoder().encode(s)

// The published test vector (notification-controller forwarder_test.go + client_test.go testEvent();
// docs/outside-apis.md, Flux: generic-hmac).
const KEY = '7152fed34dd6149a7c75a276c510da27cb6f82b0'
const BODY =
	'{"involvedObject":{"kind":"GitRepository","namespace":"gitops-system","name":"webapp"},"severity":"info","timestamp":"2022-09-30T06:40:29Z","message":"message","reason":"reason","metadata":{"test":"metadata"},"reportingController":"source-controller","reportingInstance":"source-controller-xyz"}'
const SIGNATURE = 'sha256=65b018549b1254e7226d1c08f9567ee45bc9de0fc4e7b1a40253f9a018b08be7'

const check = (
	signature: string | null,
	authorization: string | null,
	secrets = [KEY],
	body = BODY,
	bearerTokens: string[] = [],
) => verifyFluxAuth({ signature, authorization }, enc(body), { hmacKeys: secrets, bearerTokens })
const bearer = (authorization: string | null, tokens: string[], hmacKeys = [KEY]) =>
	check(null, authorization, hmacKeys, BODY, tokens)

describe('generic-hmac X-Signature', () => {
	it('passes the published test vector', async () => {
		expect(await check(SIGNATURE, null)).toEqual({ result: 'valid', mode: 'generic-hmac' })
	})

	it('accepts any configured secret (rotation) and refuses when none matches', async () => {
		expect(await check(SIGNATURE, null, ['new-secret', KEY])).toMatchObject({ result: 'valid' })
		expect(await check(SIGNATURE, null, ['new-secret', 'other'])).toEqual({ result: 'mismatch' })
		expect(await check(SIGNATURE, null, [])).toEqual({ result: 'mismatch' })
	})

	it('refuses a changed body', async () => {
		expect(await check(SIGNATURE, null, [KEY], BODY.replace('webapp', 'webapq'))).toEqual({
			result: 'mismatch',
		})
	})

	it('refuses other algorithms by name', async () => {
		for (const alg of ['sha512', 'sha384', 'sha224', 'sha1', 'md5', 'SHA512']) {
			expect(await check(`${alg}=${'a'.repeat(64)}`, null)).toEqual({
				result: 'unsupported_algorithm',
				algorithm: alg,
			})
		}
	})

	it('refuses malformed values without throwing', async () => {
		const hex = SIGNATURE.slice('sha256='.length)
		for (const value of [
			'sha256=',
			hex,
			`sha256=${hex}=`,
			`sha256=${hex.toUpperCase()}`,
			`sha256=${hex.slice(1)}`,
			`sha256= ${hex}`,
			`sha256=${hex}, sha256=${hex}`,
			'=abc',
		]) {
			expect((await check(value, null)).result, value).toBe('malformed')
		}
	})

	it('accepts SHA256= written in capitals (the algorithm name is case-insensitive)', async () => {
		expect(await check(SIGNATURE.replace('sha256', 'SHA256'), null)).toMatchObject({
			result: 'valid',
		})
	})
})

describe('generic provider bearer header', () => {
	it('accepts the current or previous FLUX_WEBHOOK_TOKEN', async () => {
		expect(await bearer('Bearer current', ['current', 'previous'])).toEqual({
			result: 'valid',
			mode: 'generic',
		})
		expect(await bearer('Bearer previous', ['current', 'previous'])).toMatchObject({
			result: 'valid',
		})
	})

	it('never accepts the HMAC key as a bearer token', async () => {
		expect(await bearer(`Bearer ${KEY}`, ['a-separate-token'])).toEqual({ result: 'mismatch' })
		expect(await bearer(`Bearer ${KEY}`, [])).toEqual({ result: 'bearer_off' })
	})

	it('is off while no bearer token is configured', async () => {
		expect(await bearer('Bearer anything', [])).toEqual({ result: 'bearer_off' })
	})

	it('refuses a wrong, prefixed or differently long token', async () => {
		for (const token of ['curren', 'currentt', 'Current', 'xcurrent']) {
			expect(await bearer(`Bearer ${token}`, ['current'])).toEqual({ result: 'mismatch' })
		}
	})

	it('refuses other schemes and empty tokens as malformed', async () => {
		for (const value of ['Basic Y3VycmVudA==', 'Bearer', 'Bearer ', 'current', 'Bearer a b']) {
			expect((await bearer(value, ['current'])).result, value).toBe('malformed')
		}
	})

	it('says what is missing when neither header came', async () => {
		expect(await check(null, null)).toEqual({ result: 'missing' })
		expect(await check('', '')).toEqual({ result: 'missing' })
	})
})

describe('body hash and schema', () => {
	it('hands on one verified value: the event, the hash of the raw bytes (the dedupe key), the raw body', async () => {
		const credentials = { hmacKeys: [KEY], bearerTokens: [] }
		const headers = { signature: SIGNATURE, authorization: null }
		const verified = await verifyFluxDelivery(headers, enc(BODY), credentials)
		expect(verified).toEqual({
			ok: true,
			value: {
				event: expect.objectContaining({ severity: 'info', reason: 'reason' }),
				bodyHash: 'e374fdb7f86cc9f282a6d371bd889cdd340dce5410abddf1383a38c7053758d3',
				rawBody: BODY,
				mode: 'generic-hmac',
			},
		})
		const spaced = `${BODY} `
		const resigned = {
			signature: `sha256=${await hmacSha256Hex(KEY, spaced)}`,
			authorization: null,
		}
		const other = await verifyFluxDelivery(resigned, enc(spaced), credentials)
		expect(other.ok && other.value.bodyHash).not.toBe(verified.ok && verified.value.bodyHash)
	})

	it('refuses before parsing: a bad signature is 401 even for a body that is not JSON', async () => {
		const credentials = { hmacKeys: [KEY], bearerTokens: [] }
		const forged = { signature: `sha256=${'a'.repeat(64)}`, authorization: null }
		expect(await verifyFluxDelivery(forged, enc('{not json'), credentials)).toEqual({
			ok: false,
			error: { code: 'unauthorized', message: expect.stringContaining('does not match') },
		})
		const signed = {
			signature: `sha256=${await hmacSha256Hex(KEY, '{not json')}`,
			authorization: null,
		}
		expect(await verifyFluxDelivery(signed, enc('{not json'), credentials)).toEqual({
			ok: false,
			error: { code: 'bad_request', message: expect.stringContaining('not valid JSON') },
		})
	})

	it('accepts the vector body and keeps unknown fields', () => {
		const parsed = parseFluxEvent({ ...JSON.parse(BODY), extra: 1 })
		expect(parsed).toMatchObject({ ok: true, value: { extra: 1, severity: 'info' } })
	})

	it('names the offending field', () => {
		expect(parseFluxEvent({ severity: 'info' })).toEqual({
			ok: false,
			message: expect.stringMatching(/^invalid Flux event: involvedObject: /),
		})
		expect(parseFluxEvent({ ...JSON.parse(BODY), timestamp: 'soon' })).toEqual({
			ok: false,
			message: expect.stringMatching(/timestamp: must be an RFC 3339 time/),
		})
	})

	it('signs the vector the way the test helper does', async () => {
		expect(`sha256=${await hmacSha256Hex(KEY, BODY)}`).toBe(SIGNATURE)
	})
})
