/**
 * Properties of the GitHub webhook parsers (src/webhooks/github.ts): the `X-Hub-Signature-256`
 * check over raw bytes, and the payload schemas on whatever JSON arrives.
 */
import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
	pullRequestPayloadSchema,
	pushPayloadSchema,
	verifyGitHubSignature,
} from '../../../src/webhooks/github.ts'

const bytes = fc.uint8Array({ maxLength: 512 })
const secret = fc.string({ minLength: 1, maxLength: 64 })
const sha = fc.stringMatching(/^[0-9a-f]{40}$/)

function sign(key: string, body: Uint8Array): string {
	return `sha256=${createHmac('sha256', key).update(body).digest('hex')}`
}

describe('verifyGitHubSignature', () => {
	it('accepts the signature of any body under any configured secret, in any position', () => {
		fc.assert(
			fc.asyncProperty(
				bytes,
				fc.array(secret, { minLength: 1, maxLength: 3 }),
				fc.nat(),
				async (body, secrets, pick) => {
					const key = secrets[pick % secrets.length] as string
					expect(await verifyGitHubSignature(sign(key, body), body, secrets)).toBe('valid')
				},
			),
		)
	})

	it('refuses a body changed in any byte, and a signature changed in any digit', () => {
		fc.assert(
			fc.asyncProperty(
				bytes,
				secret,
				fc.nat(),
				fc.integer({ min: 1, max: 255 }),
				async (body, key, at, delta) => {
					const header = sign(key, body)
					if (body.length > 0) {
						const altered = body.slice()
						const i = at % body.length
						altered[i] = ((altered[i] as number) + delta) % 256
						expect(await verifyGitHubSignature(header, altered, [key])).toBe('mismatch')
					}
					const digit = 7 + (at % 64)
					const flipped = header[digit] === '0' ? '1' : '0'
					const forged = header.slice(0, digit) + flipped + header.slice(digit + 1)
					expect(await verifyGitHubSignature(forged, body, [key])).toBe('mismatch')
				},
			),
		)
	})

	it('calls any header outside `sha256=<64 lowercase hex>` malformed (or missing when empty)', () => {
		fc.assert(
			fc.asyncProperty(fc.string({ maxLength: 80 }), bytes, async (header, body) => {
				fc.pre(!/^sha256=[0-9a-f]{64}$/.test(header))
				expect(await verifyGitHubSignature(header, body, ['s'])).toBe(
					header === '' ? 'missing' : 'malformed',
				)
			}),
		)
	})
})

const push = fc.record({
	ref: fc.string({ minLength: 1, maxLength: 40 }),
	before: sha,
	after: sha,
	repository: fc.record({ full_name: fc.string({ minLength: 1, maxLength: 40 }) }),
	commits: fc.array(fc.record({ id: sha, added: fc.array(fc.string(), { maxLength: 3 }) }), {
		maxLength: 3,
	}),
})

describe('pushPayloadSchema and pullRequestPayloadSchema', () => {
	it('never throw, whatever JSON arrives', () => {
		fc.assert(
			fc.property(fc.jsonValue(), (json) => {
				expect(typeof pushPayloadSchema.safeParse(json).success).toBe('boolean')
				expect(typeof pullRequestPayloadSchema.safeParse(json).success).toBe('boolean')
			}),
		)
	})

	it('keep what tidegate reads of a push, whatever fields GitHub adds', () => {
		fc.assert(
			fc.property(
				push,
				fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }),
				(payload, extra) => {
					const parsed = pushPayloadSchema.safeParse({ ...extra, ...payload })
					expect(parsed.success).toBe(true)
					expect(parsed.data).toMatchObject({
						ref: payload.ref,
						before: payload.before,
						after: payload.after,
						deleted: false,
						commits: payload.commits.map((c) => ({ id: c.id, added: c.added, removed: [] })),
					})
				},
			),
		)
	})

	it('refuse a push whose commit sha is not 40 lowercase hex digits', () => {
		fc.assert(
			fc.property(push, fc.string({ maxLength: 44 }), (payload, after) => {
				fc.pre(!/^[0-9a-f]{40}$/.test(after))
				expect(pushPayloadSchema.safeParse({ ...payload, after }).success).toBe(false)
			}),
		)
	})
})
