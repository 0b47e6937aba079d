/** parseHostname and hostnameCovers: the values they return. */
import { describe, expect, it } from 'vitest'
import { hostnameCovers, parseHostname } from '../../../src/domain/edge/hostname.ts'

describe('parseHostname', () => {
	it.each([
		['Example.COM.', 'example.com', false],
		['*.Example.com', '*.example.com', true],
		['môô.example.com', 'xn--m-xgaa.example.com', false],
		['ß.example.com', 'xn--zca.example.com', false],
	] as const)('%s → %s', (input, name, wildcard) => {
		expect(parseHostname(input)).toEqual({ ok: true, value: { name, wildcard } })
	})

	it('refuses an IPv6 literal as an IP, not as a port', () => {
		expect(parseHostname('[::1]')).toEqual({
			ok: false,
			error: '"[::1]" is not a public DNS name (a tunnel hostname needs a domain, not an IP)',
		})
	})

	it('counts the wildcard label in the 253-character limit', () => {
		const base = `${`${'a'.repeat(62)}.`.repeat(4)}a` // 253
		expect(parseHostname(base).ok).toBe(true)
		expect(parseHostname(`*.${base}`).ok).toBe(false)
	})

	it.each([
		['*.example.com', 'a.example.com', true],
		['*.example.com', 'a.b.example.com', true],
		['*.example.com', 'example.com', false],
		['*.example.com', 'badexample.com', false],
		['a.example.com', 'a.example.com', true],
		[undefined, 'a.example.com', true],
		['a.example.com', undefined, false],
	] as const)('hostnameCovers(%s, %s) is %s', (outer, inner, covers) => {
		expect(hostnameCovers(outer, inner)).toBe(covers)
	})
})
