// The indexes behind linear validation and planning agree with the plain comparisons they replace.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type Cidr, cidrContains, cidrTrie, parseCidr } from '../../../src/domain/edge/cidr.ts'
import { sameJson } from '../../../src/domain/edge/plan.ts'

/** The definition: the JSON texts with keys sorted are equal. */
function sortedJson(value: unknown): string {
	return JSON.stringify(value, (_k, v: unknown) =>
		v && typeof v === 'object' && !Array.isArray(v)
			? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
			: v,
	)
}

/** The same value with every object's keys in reverse order. */
function reversedKeys(value: unknown): unknown {
	if (Array.isArray(value)) {
		return value.map(reversedKeys)
	}
	if (value && typeof value === 'object') {
		return Object.fromEntries(
			Object.entries(value)
				.reverse()
				.map(([k, v]) => [k, reversedKeys(v)]),
		)
	}
	return value
}

const small = fc.letrec((tie) => ({
	value: fc.oneof(
		{ depthSize: 'small' },
		fc.constantFrom(null, true, false, 0, 1, 'a', 'b', undefined, Number.NaN),
		fc.array(tie('value'), { maxLength: 3 }),
		fc.dictionary(fc.constantFrom('a', 'b', 'c'), tie('value'), { maxKeys: 3 }),
	),
})).value

describe('sameJson', () => {
	it('is equality of the key-sorted JSON texts', () => {
		fc.assert(
			fc.property(small, small, (a, b) => {
				expect(sameJson(a, b)).toBe(sortedJson(a) === sortedJson(b))
			}),
			{ numRuns: 2000 },
		)
	})

	it('ignores key order', () => {
		fc.assert(
			fc.property(fc.jsonValue(), (a) => {
				expect(sameJson(a, reversedKeys(a))).toBe(true)
			}),
		)
	})
})

const v4 = fc
	.tuple(
		fc.integer({ min: 0, max: 3 }),
		fc.integer({ min: 0, max: 255 }),
		fc.integer({ min: 1, max: 32 }),
	)
	.map(([a, b, prefix]) => `10.${a}.${b}.0/${prefix}`)
const v6 = fc
	.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 128 }))
	.map(([a, prefix]) => `fd00:${a}::/${prefix}`)

/** A valid network: host bits cleared by parsing the suggestion when they are set. */
function network(text: string): Cidr {
	const parsed = parseCidr(text)
	if (parsed.ok) {
		return parsed.value
	}
	const suggested = /did you mean (\S+)\?/.exec(parsed.error)?.[1]
	const again = parseCidr(suggested ?? '')
	if (!again.ok) {
		throw new Error(parsed.error)
	}
	return again.value
}

describe('cidrTrie', () => {
	it('finds exactly the networks that contain, equal or lie inside a network', () => {
		fc.assert(
			fc.property(
				fc.array(fc.oneof(v4, v6), { maxLength: 30 }),
				fc.oneof(v4, v6),
				(list, probe) => {
					const trie = cidrTrie<number>()
					const cidrs = list.map(network)
					cidrs.forEach((c, i) => {
						trie.add(c, i)
					})
					const query = network(probe)
					const indexes = (found: { value: number }[]) =>
						found.map((f) => f.value).sort((a, b) => a - b)
					expect(indexes(trie.containing(query))).toEqual(
						cidrs.flatMap((c, i) => (cidrContains(c, query) ? [i] : [])),
					)
					expect(indexes(trie.overlapping(query))).toEqual(
						cidrs.flatMap((c, i) => (cidrContains(c, query) || cidrContains(query, c) ? [i] : [])),
					)
				},
			),
			{ numRuns: 1000 },
		)
	})
})
