/**
 * @module The composition root: the only code that reads `env`. Bindings, vars and secrets
 * become adapters behind the ports in src/; nothing else in the Worker sees `env`.
 */
import pkg from '../package.json' with { type: 'json' }
import { d1CronLog } from '../src/adapters/d1/cron-log.ts'
import { d1DeadLetterStore } from '../src/adapters/d1/dead-letters.ts'
import { d1RunStore } from '../src/adapters/d1/runs.ts'
import { deadLetterQueue, jobQueue } from '../src/adapters/queue/jobs.ts'
import { type ConfigValues, findMissingConfig } from '../src/app/config.ts'
import type { Deps } from '../src/app/deps.ts'
import { consoleLogger } from '../src/lib/log.ts'

/** Builds the dependencies for one invocation. Never throws on missing configuration. */
export function buildDeps(env: Env): Deps {
	const values = env as unknown as ConfigValues
	return {
		version: pkg.version,
		missingConfig: findMissingConfig(values),
		log: consoleLogger,
		now: () => Date.now(),
		runs: d1RunStore(env.DB),
		jobs: jobQueue(env.JOBS),
		deadLetters: d1DeadLetterStore(env.DB),
		deadLetterQueue: deadLetterQueue(env.JOBS_DLQ),
		cronLog: d1CronLog(env.DB),
	}
}
