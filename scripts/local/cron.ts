/**
 * @module Fires the Worker's cron triggers against `wrangler dev`, which exposes them but never
 * runs them on its own. Handles the cron syntax tidegate uses: `*`, `n`, `a-b`, `* /n`, `a-b/n`, lists.
 */
import { readFileSync } from 'node:fs'

/** The cron strings declared in wrangler.toml `[triggers] crons`. */
export function declaredCrons(wranglerToml: string): string[] {
	const block = /crons\s*=\s*\[([\s\S]*?)\]/.exec(readFileSync(wranglerToml, 'utf8'))?.[1] ?? ''
	return [...block.matchAll(/"([^"]+)"/g)].map((m) => m[1] as string)
}

const FIELDS = [
	{ min: 0, max: 59 },
	{ min: 0, max: 23 },
	{ min: 1, max: 31 },
	{ min: 1, max: 12 },
	{ min: 0, max: 6 },
] as const

function fieldMatches(
	expression: string,
	value: number,
	range: { min: number; max: number },
): boolean {
	return expression.split(',').some((part) => {
		const [span = '*', stepText] = part.split('/')
		const step = stepText === undefined ? 1 : Number(stepText)
		let [from, to] = [range.min, range.max]
		if (span !== '*') {
			const [a, b] = span.split('-').map(Number)
			from = a ?? range.min
			to = b ?? (stepText === undefined ? from : range.max)
		}
		return value >= from && value <= to && (value - from) % step === 0
	})
}

/** True when `cron` fires at the minute of `date` (UTC, as Cloudflare runs crons). */
export function cronMatches(cron: string, date: Date): boolean {
	const parts = cron.trim().split(/\s+/)
	const values = [
		date.getUTCMinutes(),
		date.getUTCHours(),
		date.getUTCDate(),
		date.getUTCMonth() + 1,
		date.getUTCDay(),
	]
	return (
		parts.length === 5 &&
		parts.every((part, i) =>
			fieldMatches(part, values[i] as number, FIELDS[i] as { min: number; max: number }),
		)
	)
}

/** Calls `fire(cron)` for every due cron at the start of each minute until stopped. */
export function startCronTicker(
	crons: string[],
	fire: (cron: string) => Promise<void>,
): () => void {
	let timer: ReturnType<typeof setTimeout> | undefined
	const schedule = () => {
		const now = Date.now()
		timer = setTimeout(tick, 60_000 - (now % 60_000) + 50)
	}
	const tick = () => {
		const minute = new Date()
		for (const cron of crons.filter((c) => cronMatches(c, minute))) {
			void fire(cron)
		}
		schedule()
	}
	schedule()
	return () => clearTimeout(timer)
}
