/** Formatting shared by the pages: every time is UTC, written the same way everywhere. */

/** `YYYY-MM-DD HH:MM:SS` (or to the minute) in UTC; `—` when unknown. */
export function utc(ms: number | null, precision: 'second' | 'minute' = 'second'): string {
	if (ms === null) {
		return '—'
	}
	return new Date(ms)
		.toISOString()
		.replace('T', ' ')
		.slice(0, precision === 'second' ? 19 : 16)
}
