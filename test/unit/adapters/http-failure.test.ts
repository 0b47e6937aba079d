import { describe, expect, it } from 'vitest'
import { apiFailure, failureKind } from '../../../src/adapters/http-failure.ts'

describe('failureKind and apiFailure: the one status table', () => {
	it.each([
		[429, {}, 'rate_limited', true],
		[403, { rateLimited: true }, 'rate_limited', true],
		[401, {}, 'auth', false],
		[403, {}, 'auth', false],
		[400, { authRefused: true }, 'auth', false],
		[404, {}, 'not_found', false],
		[500, {}, 'unavailable', true],
		[503, {}, 'unavailable', true],
		[400, {}, 'rejected', false],
		[409, {}, 'rejected', false],
		[422, {}, 'rejected', false],
	] as const)('%d %o → %s (retried: %s)', (status, signals, kind, retryable) => {
		expect(failureKind(status, signals)).toBe(kind)
		expect(apiFailure(failureKind(status, signals), 'm', { status })).toEqual({
			kind,
			retryable,
			message: 'm',
			status,
		})
	})
})
