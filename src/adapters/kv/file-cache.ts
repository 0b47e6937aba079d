/**
 * @module Repository files cached in KV by commit SHA. A commit never changes, so entries are
 * never stale; the TTL only bounds storage. KV is a cache here, never a source of truth.
 */
import type { FileCache } from '../../domain/github/ports.ts'

/** Cached files expire after a week; a drift check re-fetches only after the head moves. */
export const FILE_CACHE_TTL_SECONDS = 7 * 24 * 60 * 60

/** KV-backed FileCache (keys `file:<sha>:<path>`). */
export function kvFileCache(kv: KVNamespace): FileCache {
	const key = (sha: string, path: string) => `file:${sha}:${path}`
	return {
		get: (sha, path) => kv.get(key(sha, path)),
		put: (sha, path, text) =>
			kv.put(key(sha, path), text, { expirationTtl: FILE_CACHE_TTL_SECONDS }),
	}
}
