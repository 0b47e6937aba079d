/**
 * @module The one outbound fetch: records every outside call (method, path, status, time) on the
 * invocation's call log and, given `timeoutMs`, gives up on a call that takes longer.
 */
import type { ApiCall, ApiCallLog } from '../domain/ports.ts'

/**
 * Wraps `inner` so each call lands in `calls`; paths only, never query strings or headers (tokens).
 * `secretPath`: the URL itself is the credential (a Slack incoming webhook's `/services/T…/B…/…`,
 * a Flux Receiver's `/hook/<digest>`), so only its first segment is recorded.
 * `timeoutMs`: each call is aborted after this long (with a `TimeoutError`), besides any signal
 * the caller passes.
 */
export function recordingFetch(
	api: ApiCall['api'],
	calls: ApiCallLog,
	inner: typeof fetch,
	options: { secretPath?: boolean; timeoutMs?: number } = {},
): typeof fetch {
	return async (input, init) => {
		const request = withTimeout(new Request(input, init), options.timeoutMs)
		const path = options.secretPath
			? redactedPath(new URL(request.url).pathname)
			: new URL(request.url).pathname
		const started = Date.now()
		try {
			const response = await inner(request)
			calls.record({
				api,
				method: request.method,
				path,
				status: response.status,
				ms: Date.now() - started,
			})
			return response
		} catch (e) {
			calls.record({ api, method: request.method, path, status: null, ms: Date.now() - started })
			throw e
		}
	}
}

function withTimeout(request: Request, timeoutMs: number | undefined): Request {
	if (timeoutMs === undefined) {
		return request
	}
	const timeout = AbortSignal.timeout(timeoutMs)
	return new Request(request, { signal: AbortSignal.any([request.signal, timeout]) })
}

/** `/services/T0/B0/xyz` → `/services/…`: enough to tell calls apart, nothing to replay them with. */
function redactedPath(path: string): string {
	const first = path.split('/')[1]
	return first ? `/${first}/…` : '/…'
}

/** An in-memory call log for one invocation. */
export function createCallLog(): ApiCallLog {
	const calls: ApiCall[] = []
	return {
		record: (call) => {
			calls.push(call)
		},
		mark: () => calls.length,
		since: (mark) => calls.slice(mark),
	}
}
