import { describe, expect, it } from 'vitest'
import {
	hmacSha256Hex,
	matchesAnySecret,
	parseHex256,
	sha256Hex,
	toHex,
	verifyHmacSha256,
} from '../../../src/lib/secrets.ts'

// GitHub's published test vector (docs: "Validating webhook deliveries").
const GITHUB = {
	secret: "It's a Secret to Everybody",
	body: 'Hello, World!',
	hex: '757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
}

describe('secrets', () => {
	it('signs as GitHub does', async () => {
		expect(await hmacSha256Hex(GITHUB.secret, GITHUB.body)).toBe(GITHUB.hex)
	})

	describe('verifyHmacSha256 and matchesAnySecret share one behaviour', () => {
		const signature = parseHex256(GITHUB.hex) as Uint8Array
		const table: Array<[string, readonly string[], boolean]> = [
			['the current secret', [GITHUB.secret], true],
			['the previous secret during a rotation', ['new-secret', GITHUB.secret], true],
			['the previous secret listed first', [GITHUB.secret, 'new-secret'], true],
			['no configured secret', [], false],
			['an empty secret, never a match', [''], false],
			['a different secret', ['wrong'], false],
		]
		for (const [name, secrets, expected] of table) {
			it(`HMAC: ${name} → ${expected}`, async () => {
				expect(await verifyHmacSha256(secrets, GITHUB.body, signature)).toBe(expected)
			})
			it(`token: ${name} → ${expected}`, async () => {
				expect(await matchesAnySecret(GITHUB.secret, secrets)).toBe(expected)
			})
		}

		it('an empty presented token matches no secret, even an empty one', async () => {
			expect(await matchesAnySecret('', ['', 'x'])).toBe(false)
		})

		it('a prefix or an extension of the secret does not match', async () => {
			expect(await matchesAnySecret('It', [GITHUB.secret])).toBe(false)
			expect(await matchesAnySecret(`${GITHUB.secret}!`, [GITHUB.secret])).toBe(false)
		})

		it('a signature over other bytes does not verify', async () => {
			expect(await verifyHmacSha256([GITHUB.secret], 'Hello, World?', signature)).toBe(false)
		})
	})

	it('parses only 64 lowercase hex digits', () => {
		expect(parseHex256(GITHUB.hex)).toHaveLength(32)
		expect(toHex(parseHex256(GITHUB.hex) as Uint8Array)).toBe(GITHUB.hex)
		for (const bad of [
			GITHUB.hex.toUpperCase(),
			`${GITHUB.hex}0`,
			GITHUB.hex.slice(1),
			` ${GITHUB.hex}`,
			'',
		]) {
			expect(parseHex256(bad)).toBeUndefined()
		}
	})

	it('hashes content as SHA-256 hex', async () => {
		expect(await sha256Hex('')).toBe(
			'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
		)
	})
})
