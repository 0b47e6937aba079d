/**
 * @module JSON-lines logs on stdout/stderr. Callers pass facts, never secrets or signatures:
 * nothing here can tell which values are secret.
 */

/** Log severity. */
export type Level = 'debug' | 'info' | 'warn' | 'error'

const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 }

/** A structured logger bound to this agent's node. */
export interface Logger {
	log(level: Level, event: string, fields?: Record<string, unknown>): void
}

/** One JSON object per line: `time`, `level`, `event`, `node`, then the fields. */
export function createLogger(options: {
	node: string
	level: Level
	write?: (level: Level, line: string) => void
}): Logger {
	const min = RANK[options.level]
	const write =
		options.write ??
		((level: Level, line: string) => {
			if (level === 'error' || level === 'warn') {
				process.stderr.write(`${line}\n`)
			} else {
				process.stdout.write(`${line}\n`)
			}
		})
	return {
		log(level, event, fields = {}) {
			if (RANK[level] < min) {
				return
			}
			write(
				level,
				JSON.stringify({
					time: new Date().toISOString(),
					level,
					event,
					node: options.node,
					...fields,
				}),
			)
		},
	}
}
