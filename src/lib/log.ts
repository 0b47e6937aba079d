/**
 * @module Structured JSON logs (Workers Logs indexes JSON). Callers pass facts, never secrets:
 * nothing here knows which values are secret, so nothing secret may be handed to it.
 */

/** Log severity. */
export type Level = 'debug' | 'info' | 'warn' | 'error'

/** A structured logger. */
export interface Logger {
	log(level: Level, event: string, fields?: Record<string, unknown>): void
}

/** Writes one JSON line per event to the console. */
export const consoleLogger: Logger = {
	log(level, event, fields = {}) {
		const line = JSON.stringify({ level, event, ...fields })
		if (level === 'error') {
			console.error(line)
		} else if (level === 'warn') {
			console.warn(line)
		} else {
			console.log(line)
		}
	},
}
