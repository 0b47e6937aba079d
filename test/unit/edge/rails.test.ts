// The rails every kind shares (src/domain/edge/rails.ts), applied to a plan of any kind.
import { describe, expect, it } from 'vitest'
import type { PlanBase } from '../../../src/domain/edge/plan.ts'
import { claimOf, type Ownership, sharedRails } from '../../../src/domain/edge/rails.ts'

const ownership = (over: Partial<Ownership> = {}): Ownership => ({
	suffix: ' - oceanid',
	written: new Set(['a', 'b', 'c']),
	protected: new Set(['c']),
	foreignBefore: ['x1', 'x2', 'x3', 'x4'],
	hasHistory: true,
	...over,
})

const plan = (over: Partial<PlanBase> = {}): PlanBase => ({
	kind: 'split-tunnel',
	resource: 'split-tunnel:acct:default',
	changes: [{ action: 'add', key: 'd', cause: 'commit' }],
	refusals: [],
	warnings: [],
	foreign: ['x1', 'x2', 'x3', 'x4'],
	managed: true,
	...over,
})

const rails = (p: PlanBase, force = false, o = ownership()) => {
	sharedRails(p, {
		rails: { maxDeletions: 1, force },
		ownership: o,
		what: 'entries',
		label: (k) => k,
	})
	return p.refusals.map((r) => r.rail)
}

const remove = (key: string) => ({ action: 'remove' as const, key, cause: 'commit' as const })

describe('the ownership rule', () => {
	const table: Array<[string, string | undefined, boolean, string]> = [
		['written and suffixed', 'Pods - oceanid', true, 'ours'],
		['suffixed, never written', 'Pods - oceanid', false, 'claimed'],
		['written, suffix gone (a hand edit)', 'Pods', true, 'foreign'],
		['another owner', 'Pods - netops', false, 'foreign'],
		['no description', undefined, false, 'foreign'],
		['the owner as a word, not the suffix', 'oceanid pods', false, 'foreign'],
	]
	for (const [name, label, written, claim] of table) {
		it(`${name} → ${claim}`, () => {
			const o = ownership({ written: new Set(written ? ['k'] : []) })
			expect(claimOf('k', label, o)).toBe(claim)
		})
	}
})

describe('shared rails', () => {
	it('pass an ordinary plan', () => {
		expect(rails(plan())).toEqual([])
	})

	it('refuse removing what tidegate never wrote (a planner bug), even with force', () => {
		expect(rails(plan({ changes: [remove('x1')] }), true)).toEqual(['foreign-removal'])
	})

	it('refuse removing a protected item, even with force', () => {
		expect(rails(plan({ changes: [remove('c')] }), true)).toEqual(['protected-entry'])
	})

	it('refuse more removals than maxDeletions unless forced', () => {
		const p = () => plan({ changes: [remove('a'), remove('b')] })
		expect(rails(p())).toEqual(['max-deletions'])
		expect(rails(p(), true)).toEqual([])
	})

	it('refuse a write when half or more of the foreign items seen at the last write vanished', () => {
		expect(rails(plan({ foreign: ['x1', 'x2'] }))).toEqual(['foreign-vanished'])
		expect(rails(plan({ foreign: [] }))).toEqual(['foreign-vanished'])
		const message = (() => {
			const p = plan({ foreign: [] })
			rails(p)
			return p.refusals[0]?.message
		})()
		expect(message).toMatch(
			/^4 of the 4 other teams' entries seen at tidegate's last write are missing/,
		)
	})

	it('let a few foreign items go (teams edit their entries), and force lifts the rail', () => {
		expect(rails(plan({ foreign: ['x1', 'x2', 'x3'] }))).toEqual([])
		expect(rails(plan({ foreign: ['x1', 'x2', 'x3', 'y'] }))).toEqual([])
		expect(rails(plan({ foreign: [] }), true)).toEqual([])
	})

	it('do not judge vanished foreign items when nothing would be written, or without a record', () => {
		expect(rails(plan({ foreign: [], changes: [] }))).toEqual([])
		expect(rails(plan({ foreign: [] }), false, ownership({ foreignBefore: null }))).toEqual([])
	})
})
