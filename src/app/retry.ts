/**
 * @module Queue jobs' retries: what a job tells the consumer, and the one backoff schedule. A
 * failure that may pass is retried after the API's Retry-After when it sent one, else with backoff.
 */

/** What the consumer should do with the message. */
export type JobOutcome = { retry: false } | { retry: true; delaySeconds: number }

/** 10 s, 20 s, 40 s … capped at 10 minutes. */
export function backoffSeconds(attempts: number): number {
	return Math.min(600, 10 * 2 ** Math.max(0, attempts - 1))
}

/** The wait before the next attempt: the API's Retry-After when it sent one, else the backoff. */
export function retryDelaySeconds(attempts: number, retryAfterSeconds?: number): number {
	return retryAfterSeconds ?? backoffSeconds(attempts)
}

/** Retries a failure that may pass while fewer than `maxAttempts` attempts were made. */
export function retryWhileAttemptsRemain(
	failure: { retryable: boolean; retryAfterSeconds?: number | undefined },
	attempts: number,
	maxAttempts: number,
): JobOutcome {
	return failure.retryable && attempts < maxAttempts
		? { retry: true, delaySeconds: retryDelaySeconds(attempts, failure.retryAfterSeconds) }
		: { retry: false }
}
