/**
 * @module The cron strings, named: the one list `[triggers] crons` in wrangler.toml must equal
 * (test/unit/workers/wrangler-config.test.ts checks it).
 */

/** Each cron trigger by what it runs. */
export const CRONS = {
	/** Every 5 minutes: drift check, then missed-delivery repair and lost runs. */
	drift: '*/5 * * * *',
	/** Daily: retention. */
	housekeeping: '17 3 * * *',
	/** Two minutes after the drift tick, so a slow agent never delays a reconcile. */
	egress: '2-59/5 * * * *',
} as const

/** A cron string tidegate runs jobs on. */
export type CronString = (typeof CRONS)[keyof typeof CRONS]
