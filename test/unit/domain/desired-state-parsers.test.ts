/**
 * The parsers others build on (parseCidr on live entries, parseHostname, parseService,
 * formatDiagnostic), checked directly: the values they return and the text they print.
 */
import { describe, expect, it } from 'vitest'
import { formatDiagnostic, formatPath } from '../../../src/domain/diagnostics.ts'
import { cidrContains, parseCidr } from '../../../src/domain/edge/cidr.ts'
import { hostnameCovers, parseHostname } from '../../../src/domain/edge/hostname.ts'
import { parseService } from '../../../src/domain/edge/service.ts'

describe('parseCidr', () => {
	it.each([
		['10.0.0.0/8', '10.0.0.0/8', 4],
		['10.0.0.7', '10.0.0.7/32', 4],
		['2001:0DB8:0:0:0:0:0:0/32', '2001:db8::/32', 6],
		['::1', '::1/128', 6],
	] as const)('%s → %s (IPv%d)', (input, text, family) => {
		const cidr = parseCidr(input)
		expect(cidr.ok && { text: cidr.value.text, family: cidr.value.family }).toEqual({
			text,
			family,
		})
	})

	it('tells containment from disjoint networks', () => {
		const get = (s: string) => {
			const r = parseCidr(s)
			if (!r.ok) {
				throw new Error(r.error)
			}
			return r.value
		}
		expect(cidrContains(get('10.0.0.0/8'), get('10.1.0.0/16'))).toBe(true)
		expect(cidrContains(get('10.1.0.0/16'), get('10.0.0.0/8'))).toBe(false)
		expect(cidrContains(get('10.42.0.0/16'), get('10.43.0.0/16'))).toBe(false)
		expect(cidrContains(get('0:0:0:0:0:0:a2a:0/112'), get('10.42.0.0/16'))).toBe(false)
	})
})

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

describe('parseService', () => {
	it('gives the agent a host and a port to probe', () => {
		expect(parseService('https://kubernetes.default.svc')).toEqual({
			ok: true,
			value: {
				kind: 'url',
				text: 'https://kubernetes.default.svc',
				scheme: 'https',
				host: 'kubernetes.default.svc',
				port: 443,
			},
		})
		expect(parseService('http_status:404')).toEqual({
			ok: true,
			value: { kind: 'status', text: 'http_status:404', status: 404 },
		})
	})
})

describe('formatDiagnostic', () => {
	it('prints file:line:col path message, and marks warnings', () => {
		expect(
			formatDiagnostic('tidegate.yaml', {
				severity: 'error',
				path: ['tunnel', 'ingress', 2, 'hostname'],
				message: 'hostname is empty',
				line: 12,
				column: 17,
			}),
		).toBe('tidegate.yaml:12:17 tunnel.ingress[2].hostname hostname is empty')
		expect(
			formatDiagnostic('t.yaml', {
				severity: 'warning',
				path: ['a'],
				message: 'm',
				line: 1,
				column: 1,
			}),
		).toBe('t.yaml:1:1 a warning: m')
	})

	it('names the whole document "(document)" and omits an unknown position', () => {
		expect(formatPath([])).toBe('(document)')
		expect(formatDiagnostic('t.yaml', { severity: 'error', path: [], message: 'm' })).toBe(
			't.yaml (document) m',
		)
	})
})
