/**
 * @module Where the desired state comes from: `tidegate.yaml` at the tracked branch's head.
 * A push is only a hint; the head is resolved when the run starts, so pushes that arrive late or
 * twice cannot roll anything back. A failed read or an invalid file is a failure, never an empty state.
 */

import type { LoadedDesiredState } from '../../domain/desired-state/load.ts'
import { loadDesiredState } from '../../domain/desired-state/load.ts'
import { formatDiagnostic } from '../../domain/diagnostics.ts'
import type { DesiredStateCache, FileCache, RepositoryApi } from '../../domain/github/ports.ts'
import type { ApiFailure } from '../../domain/ports.ts'
import { err, ok, type Result } from '../../lib/result.ts'

/** Why no desired state could be had. Only `unavailable` ones are worth retrying. */
export interface DesiredFailure {
	code:
		| 'github_unavailable'
		| 'github_auth'
		| 'branch_missing'
		| 'config_missing'
		| 'config_invalid'
	message: string
	retryable: boolean
	retryAfterSeconds?: number
	/** Known once the head was resolved, so the failure can be reported on that commit. */
	commitSha?: string
}

/** The desired state and the commit it came from. */
export interface ResolvedDesiredState extends LoadedDesiredState {
	commitSha: string
	/** True when the file or its validated state came from the cache (no contents fetch). */
	cached: boolean
}

/** Where to read from. */
export interface DesiredSourceOptions {
	branch: string
	path: string
}

/**
 * Resolves the branch head and loads `tidegate.yaml` at that commit, through the caches: the
 * validated state first (no fetch, no parse), then the file (no fetch).
 */
export async function resolveDesiredState(
	deps: {
		repository: RepositoryApi
		fileCache: FileCache
		desiredStateCache: DesiredStateCache
	},
	options: DesiredSourceOptions,
): Promise<Result<ResolvedDesiredState, DesiredFailure>> {
	const head = await deps.repository.branchHead(options.branch)
	if (!head.ok) {
		return err(fromApi(head.error, head.error.kind === 'not_found' ? 'branch_missing' : undefined))
	}
	const commitSha = head.value
	const known = await deps.desiredStateCache.get(commitSha, options.path)
	if (known) {
		return ok({ ...known, commitSha, cached: true })
	}
	let text = await deps.fileCache.get(commitSha, options.path)
	const cached = text !== null
	if (text === null) {
		const file = await deps.repository.readFile(options.path, commitSha)
		if (!file.ok) {
			if (file.error.kind === 'rejected' && file.error.status === 413) {
				// Too large to read: an invalid file, not an unavailable GitHub.
				return err({
					code: 'config_invalid',
					retryable: false,
					commitSha,
					message: `${options.path}:1:1 ${file.error.message}`,
				})
			}
			return err({ ...fromApi(file.error), commitSha })
		}
		if (file.value === null) {
			return err({
				code: 'config_missing',
				retryable: false,
				commitSha,
				message: `${options.path} does not exist at ${commitSha.slice(0, 7)} on ${options.branch}; nothing is changed (a missing file is not an empty desired state)`,
			})
		}
		text = file.value
		await deps.fileCache.put(commitSha, options.path, text)
	}
	const loaded = loadDesiredState(text)
	if (!loaded.ok) {
		const errors = loaded.error.filter((d) => d.severity === 'error')
		const first = errors[0]
		return err({
			code: 'config_invalid',
			retryable: false,
			commitSha,
			message: `${options.path} is invalid (${errors.length} error${errors.length === 1 ? '' : 's'}): ${first ? formatDiagnostic(options.path, first) : 'unknown error'}`,
		})
	}
	// Only valid states are kept: an invalid file is reported again with its diagnostics.
	await deps.desiredStateCache.put(commitSha, options.path, loaded.value)
	return ok({ ...loaded.value, commitSha, cached })
}

function fromApi(failure: ApiFailure, code?: DesiredFailure['code']): DesiredFailure {
	return {
		code: code ?? (failure.kind === 'auth' ? 'github_auth' : 'github_unavailable'),
		message: failure.message,
		retryable: failure.retryable,
		...(failure.retryAfterSeconds !== undefined && {
			retryAfterSeconds: failure.retryAfterSeconds,
		}),
	}
}
