/**
 * @module Validated desired states cached in KV by commit SHA and path: a commit never changes, and
 * the key carries DESIRED_STATE_FORMAT, so an entry is never stale for the code that reads it. A
 * drift run on an unchanged head then costs one KV read and a JSON parse instead of YAML parsing
 * and validation. KV is a cache here, never a source of truth.
 */
import type { LoadedDesiredState } from '../../domain/desired-state/load.ts'
import { DESIRED_STATE_FORMAT } from '../../domain/desired-state/load.ts'
import type { DesiredStateCache } from '../../domain/github/ports.ts'
import { FILE_CACHE_TTL_SECONDS } from './file-cache.ts'

/** The KV key of a validated desired state: `state:<format>:<sha>:<path>`. */
export function desiredStateKey(sha: string, path: string): string {
	return `state:${DESIRED_STATE_FORMAT}:${sha}:${path}`
}

/** KV-backed DesiredStateCache; entries expire with the files they were parsed from. */
export function kvDesiredStateCache(kv: KVNamespace): DesiredStateCache {
	return {
		get: (sha, path) => kv.get<LoadedDesiredState>(desiredStateKey(sha, path), 'json'),
		put: (sha, path, loaded) =>
			kv.put(desiredStateKey(sha, path), JSON.stringify(loaded), {
				expirationTtl: FILE_CACHE_TTL_SECONDS,
			}),
	}
}
