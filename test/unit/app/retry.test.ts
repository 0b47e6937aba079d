import { describe, expect, it } from 'vitest'
import { backoffSeconds, retryWhileAttemptsRemain } from '../../../src/app/retry.ts'

describe('backoffSeconds', () => {
	it('doubles from 10 s and stops at 10 minutes', () => {
		expect([0, 1, 2, 3, 6, 7, 20].map(backoffSeconds)).toEqual([10, 10, 20, 40, 320, 600, 600])
	})
})

describe('retryWhileAttemptsRemain', () => {
	it.each([
		[{ retryable: true }, 2, { retry: true, delaySeconds: 20 }],
		[{ retryable: true, retryAfterSeconds: 7 }, 2, { retry: true, delaySeconds: 7 }],
		[{ retryable: true }, 5, { retry: false }],
		[{ retryable: false }, 1, { retry: false }],
	])('%o at attempt %d → %o', (failure, attempts, outcome) => {
		expect(retryWhileAttemptsRemain(failure, attempts, 5)).toEqual(outcome)
	})
})
