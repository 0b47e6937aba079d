/** parseCidr: the values it returns for the addresses and networks it accepts. */
import { describe, expect, it } from 'vitest'
import { cidrContains, parseCidr } from '../../../src/domain/edge/cidr.ts'

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
