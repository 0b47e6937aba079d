/**
 * @module Everything a use case may touch, as ports. Built once per invocation by workers/deps.ts,
 * the only reader of `env`; tests build it from fakes or from real bindings.
 */
import type {
	CronLog,
	DeadLetterQueue,
	DeadLetterStore,
	JobQueue,
	RunStore,
} from '../domain/ports.ts'
import type { Logger } from '../lib/log.ts'
import type { MissingConfig } from './config.ts'

/** The dependencies of every use case. */
export interface Deps {
	version: string
	missingConfig: MissingConfig[]
	log: Logger
	/** Unix milliseconds. */
	now(): number
	runs: RunStore
	jobs: JobQueue
	deadLetters: DeadLetterStore
	deadLetterQueue: DeadLetterQueue
	cronLog: CronLog
}
