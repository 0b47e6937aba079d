/** A fetch that records every outside call (method, path, status, time) on the invocation's call log. */
import type { ApiCall, ApiCallLog } from '../domain/ports.ts'

/** Wraps `inner` so each call lands in `calls`; paths only, never query strings or headers (tokens). */
export function recordingFetch(
	api: ApiCall['api'],
	calls: ApiCallLog,
	inner: typeof fetch,
): typeof fetch {
	return async (input, init) => {
		const request = new Request(input, init)
		const path = new URL(request.url).pathname
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
