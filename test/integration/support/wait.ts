/** Polling for tests that wait on the real queue, cron or stand-ins working in the background. */

/** Polls until `read` gives a truthy value and returns it; no fixed sleeps. */
export async function waitFor<T>(
	read: () => Promise<T | null | undefined | false> | T | null | undefined | false,
	options: { what?: string; timeoutMs?: number; everyMs?: number } = {},
): Promise<T> {
	const deadline = Date.now() + (options.timeoutMs ?? 10_000)
	for (;;) {
		const value = await read()
		if (value) {
			return value
		}
		if (Date.now() > deadline) {
			throw new Error(options.what ? `timed out waiting for ${options.what}` : 'timed out waiting')
		}
		await new Promise((r) => setTimeout(r, options.everyMs ?? 50))
	}
}
