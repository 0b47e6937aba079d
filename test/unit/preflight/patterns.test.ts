/** The three pattern languages of `ownership`: path globs, name patterns, dotted values paths. */
import { describe, expect, it } from 'vitest'
import {
	compileNamePattern,
	compilePathGlob,
	compileValuesPath,
	globBase,
	pathGlobProblem,
	valuesPathProblem,
} from '../../../src/domain/preflight/patterns.ts'

describe('repository path globs', () => {
	const cases: [string, string, boolean][] = [
		['clusters/tethys/**', 'clusters/tethys/apps/redis.yaml', true],
		['clusters/tethys/**', 'clusters/tethys/redis.yaml', true],
		['clusters/tethys/**', 'clusters/tethys-old/redis.yaml', false],
		['clusters/tethys/**', 'clusters/staging/redis.yaml', false],
		// A directory without a glob covers what is under it, as a git pathspec does.
		['clusters/tethys', 'clusters/tethys/apps/redis.yaml', true],
		['clusters/tethys/', 'clusters/tethys/apps/redis.yaml', true],
		['clusters/*/apps', 'clusters/tethys/apps/redis.yaml', true],
		['clusters/*/apps', 'clusters/tethys/infra/crds.yaml', false],
		['clusters/**/helmrelease.yaml', 'clusters/tethys/apps/x/helmrelease.yaml', true],
		['clusters/**/helmrelease.yaml', 'clusters/helmrelease.yaml', true],
		['**/*.yaml', 'a/b/c.yaml', true],
		['clusters/tethys/*.yaml', 'clusters/tethys/apps/redis.yaml', false],
		['clusters/tethys/?.yaml', 'clusters/tethys/a.yaml', true],
		['clusters/tethys/?.yaml', 'clusters/tethys/ab.yaml', false],
		// Regex characters are literal.
		['clusters/te.hys/**', 'clusters/tethys/a.yaml', false],
		['apps (old)/**', 'apps (old)/a.yaml', true],
	]
	for (const [glob, path, expected] of cases) {
		it(`${glob} ${expected ? 'matches' : 'does not match'} ${path}`, () => {
			expect(compilePathGlob(glob)(path)).toBe(expected)
		})
	}

	it('names its literal base directory, so a walk can skip the rest', () => {
		expect(globBase('clusters/tethys/**')).toBe('clusters/tethys')
		expect(globBase('clusters/*/apps')).toBe('clusters')
		expect(globBase('**/*.yaml')).toBe('')
	})

	it('refuses absolute, dotted, backslashed and half-globbed paths with a reason', () => {
		expect(pathGlobProblem('clusters/tethys/**')).toBeUndefined()
		expect(pathGlobProblem('/clusters')).toMatch(/starts with "\/"/)
		expect(pathGlobProblem('./clusters')).toMatch(/write it without, e.g. "clusters"/)
		expect(pathGlobProblem('clusters/../x')).toMatch(/contains "\.\."/)
		expect(pathGlobProblem('clusters\\x')).toMatch(/backslash/)
		expect(pathGlobProblem('a//b')).toMatch(/empty segment/)
		expect(pathGlobProblem('a/b**/c')).toMatch(/whole segment/)
	})
})

describe('name patterns', () => {
	it('matches literally without wildcards, and * and ? as globs', () => {
		expect(compileNamePattern('cert-manager')('cert-manager')).toBe(true)
		expect(compileNamePattern('cert-manager')('cert-manager-webhook')).toBe(false)
		expect(compileNamePattern('cert-manager*')('cert-manager-webhook')).toBe(true)
		expect(compileNamePattern('system:*')('system:controller:job')).toBe(true)
		expect(compileNamePattern('team-?')('team-a')).toBe(true)
		expect(compileNamePattern('team-?')('team-ab')).toBe(false)
		expect(compileNamePattern('a.b')('axb')).toBe(false)
	})
})

describe('values paths', () => {
	const matches = (pattern: string, path: string) => compileValuesPath(pattern)(path.split('.'))
	it('* is one key, ** any number of keys (none included)', () => {
		expect(matches('**.image.tag', 'image.tag')).toBe(true)
		expect(matches('**.image.tag', 'worker.image.tag')).toBe(true)
		expect(matches('**.image.tag', 'a.b.c.image.tag')).toBe(true)
		expect(matches('**.image.tag', 'image.repository')).toBe(false)
		expect(matches('*.image.tag', 'image.tag')).toBe(false)
		expect(matches('*.image.tag', 'worker.image.tag')).toBe(true)
		expect(matches('containers.*.image', 'containers.0.image')).toBe(true)
		expect(matches('image.tag', 'image.tag')).toBe(true)
		expect(matches('image.tag', 'image.tag.x')).toBe(false)
		expect(matches('image*.tag', 'imageProxy.tag')).toBe(true)
	})

	it('refuses empty keys, half-** keys, and wildcards where a plain path is needed', () => {
		expect(valuesPathProblem('a..b', true)).toMatch(/empty key/)
		expect(valuesPathProblem('image.ta**', true)).toMatch(/whole key/)
		expect(valuesPathProblem('global.*.tag', false)).toMatch(/plain path/)
		expect(valuesPathProblem('global.image.tag', false)).toBeUndefined()
	})
})
