/**
 * @module Stand-ins for outside APIs whose credentials are not configured. Every call fails with
 * a clear, non-retryable reason naming the missing setting, so the Worker never crashes on it.
 */

import type { RoutesApi, SplitTunnelApi, TunnelApi } from '../domain/edge/ports.ts'
import type { PullRequestApi, RepositoryApi } from '../domain/github/ports.ts'
import type { ApiFailure } from '../domain/ports.ts'
import { err } from '../lib/result.ts'

const missing = (name: string, purpose: string): { ok: false; error: ApiFailure } =>
	err({
		kind: 'auth',
		retryable: false,
		message: `${name} is not set; it is needed for ${purpose}`,
	})

/** A TunnelApi for when CF_TUNNEL_API_TOKEN is missing. */
export function unconfiguredTunnelApi(name: string): TunnelApi {
	const fail = async () => missing(name, 'the tunnel configuration')
	return { getConfig: fail, putConfig: fail, getConnectors: fail }
}

/** A SplitTunnelApi for when CF_ZERO_TRUST_API_TOKEN is missing. */
export function unconfiguredSplitTunnelApi(name: string): SplitTunnelApi {
	const fail = async () => missing(name, 'the split-tunnel list')
	return { get: fail, put: fail }
}

/** A RoutesApi for when CF_TUNNEL_API_TOKEN is missing (routes use the tunnel token). */
export function unconfiguredRoutesApi(name: string): RoutesApi {
	const fail = async () => missing(name, 'the private-network routes')
	return { list: fail, create: fail, edit: fail, delete: fail }
}

/** A RepositoryApi for when GITHUB_TOKEN or GITHUB_REPOSITORY is missing. */
export function unconfiguredRepository(names: string): RepositoryApi {
	const fail = async () => missing(names, 'reading tidegate.yaml and posting commit statuses')
	return {
		branchHead: fail,
		readFile: fail,
		postStatus: fail,
		listHookDeliveries: fail,
		redeliver: fail,
		changedFiles: fail,
		readFileBounded: fail,
	}
}

/** A PullRequestApi for when GITHUB_TOKEN or GITHUB_REPOSITORY is missing. */
export function unconfiguredPullRequests(names: string): PullRequestApi {
	const fail = async () => missing(names, 'checking pull requests')
	return {
		get: fail,
		files: fail,
		comments: fail,
		createComment: fail,
		updateComment: fail,
	}
}
