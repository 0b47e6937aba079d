import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { resolveDesiredState } from '../../../src/app/edge/desired-source.ts'
import {
	DESIRED_STATE_FORMAT,
	type LoadedDesiredState,
	loadDesiredState,
} from '../../../src/domain/desired-state/load.ts'
import type {
	DesiredStateCache,
	FileCache,
	RepositoryApi,
} from '../../../src/domain/github/ports.ts'
import { ok } from '../../../src/lib/result.ts'

const example = readFileSync(new URL('../../../examples/tidegate.yaml', import.meta.url), 'utf8')
const SHA = 'c'.repeat(40)

/**
 * What the example file validates to, per DESIRED_STATE_FORMAT. Cached states are keyed by the
 * format: when validation starts producing something else, an entry cached by the previous code
 * would be read as if it were current. Bump DESIRED_STATE_FORMAT and record the new fingerprint.
 */
const FINGERPRINTS: Record<number, string> = {
	1: 'c7308765c6b220d3f01772e022f3d194ded103748b43d20238271616932e3aa5',
}

/** KV keeps strings: the cache round-trips through JSON, as the KV adapter does. */
function memoryCaches() {
	const files = new Map<string, string>()
	const states = new Map<string, string>()
	const fileCache: FileCache = {
		get: async (sha, path) => files.get(`${sha}:${path}`) ?? null,
		put: async (sha, path, text) => {
			files.set(`${sha}:${path}`, text)
		},
	}
	const desiredStateCache: DesiredStateCache = {
		get: async (sha, path) => {
			const json = states.get(`${sha}:${path}`)
			return json === undefined ? null : (JSON.parse(json) as LoadedDesiredState)
		},
		put: async (sha, path, loaded) => {
			states.set(`${sha}:${path}`, JSON.stringify(loaded))
		},
	}
	return { files, states, fileCache, desiredStateCache }
}

function repository(text: string) {
	const reads: string[] = []
	const api = {
		branchHead: async () => ok(SHA),
		readFile: async (path: string) => {
			reads.push(path)
			return ok(text)
		},
	} as unknown as RepositoryApi
	return { api, reads }
}

const options = { branch: 'main', path: 'tidegate.yaml' }

describe('validated desired state cached by commit', () => {
	it('an unchanged head is neither fetched nor parsed again, and yields the same state', async () => {
		const caches = memoryCaches()
		const repo = repository(example)
		const first = await resolveDesiredState({ ...caches, repository: repo.api }, options)
		// The file cache alone would still mean a parse: drop it to see the state cache answer.
		caches.files.clear()
		const second = await resolveDesiredState({ ...caches, repository: repo.api }, options)
		expect(repo.reads).toEqual(['tidegate.yaml'])
		expect(first.ok && first.value.cached).toBe(false)
		expect(second.ok && second.value.cached).toBe(true)
		expect(second).toEqual(first.ok ? ok({ ...first.value, cached: true }) : first)
	})

	it('an invalid file is not cached: every run reports its diagnostics again', async () => {
		const caches = memoryCaches()
		const repo = repository('version: 1\nowner: oceanid\nbogus: true\n')
		const first = await resolveDesiredState({ ...caches, repository: repo.api }, options)
		const second = await resolveDesiredState({ ...caches, repository: repo.api }, options)
		expect(first.ok).toBe(false)
		expect(second).toEqual(first)
		expect(caches.states.size).toBe(0)
	})

	it('what validation produces matches the format the cache keys carry', () => {
		const loaded = loadDesiredState(example)
		expect(loaded.ok).toBe(true)
		const fingerprint = createHash('sha256').update(JSON.stringify(loaded)).digest('hex')
		expect(
			fingerprint,
			`validation output changed: bump DESIRED_STATE_FORMAT (now ${DESIRED_STATE_FORMAT}) and record the new fingerprint`,
		).toBe(FINGERPRINTS[DESIRED_STATE_FORMAT])
	})
})
