/**
 * The RE2 path-regex check (an ingress rule's `path`, compiled by cloudflared with Go's RE2):
 * what it reports of a pattern it accepts.
 */
import { describe, expect, it } from 'vitest'
import { checkPathRegex } from '../../../src/domain/desired-state/path-regex.ts'

describe('checkPathRegex', () => {
	it.each([
		['^/api', true, false],
		['/api', false, false],
		['^/a|^/b', true, true],
		['^/a|/b', false, true],
		['(?i)^/a', true, false],
		['\\A/a', true, false],
		['(^/a)', false, false], // conservative: a group at the start is not looked into
	] as const)('%s: anchored %s, alternation %s', (path, anchored, alternation) => {
		expect(checkPathRegex(path)).toEqual({ ok: true, anchored, alternation })
	})
})
