/**
 * wrangler.toml and the code agree: every var and secret it lists is one config.ts knows, every
 * name config.ts reads is typed on `Env` (generated from wrangler.toml, or workers/env.d.ts for
 * optional secrets), the cron triggers are `CRONS`, and the queues are the ones the code names.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { unstable_readConfig } from 'wrangler'
import { CONFIG, type ConfigName } from '../../../src/app/config.ts'
import { DEAD_LETTER_QUEUE, JOBS_QUEUE } from '../../../src/contracts/queue.ts'
import { CRONS } from '../../../workers/triggers.ts'

const wrangler = unstable_readConfig({ config: 'wrangler.toml' })
const names = Object.keys(CONFIG) as ConfigName[]

/** The names `Env` declares: the generated types' and the optional secrets in workers/env.d.ts. */
function envNames(): Set<string> {
	const text =
		readFileSync('worker-configuration.d.ts', 'utf8') + readFileSync('workers/env.d.ts', 'utf8')
	return new Set(
		[...text.matchAll(/^\s*(?:readonly\s+)?([A-Z][A-Z0-9_]*)\??:/gm)].map((m) => m[1] as string),
	)
}

describe('wrangler.toml', () => {
	it('lists only vars config.ts knows, none of them a secret', () => {
		for (const name of Object.keys(wrangler.vars)) {
			expect(names, `[vars] ${name}`).toContain(name)
			expect(CONFIG[name as ConfigName].secret, `[vars] ${name} is a secret`).toBe(false)
		}
	})

	it('requires only secrets config.ts knows as secrets, and every required one', () => {
		const required = wrangler.secrets?.required ?? []
		for (const name of required) {
			expect(CONFIG[name as ConfigName]?.secret, `[secrets] ${name}`).toBe(true)
		}
		const requiredSecrets = names.filter((n) => CONFIG[n].secret && !CONFIG[n].optional)
		expect([...required].sort()).toEqual(requiredSecrets.sort())
	})

	it('gives every name config.ts reads a type on Env', () => {
		const typed = envNames()
		expect(names.filter((name) => !typed.has(name))).toEqual([])
	})

	it('names a default value for a var config.ts defaults exactly as config.ts does', () => {
		for (const name of names) {
			const spec = CONFIG[name] as { default?: string }
			if (spec.default !== undefined && name in wrangler.vars) {
				expect(wrangler.vars[name], name).toBe(spec.default)
			}
		}
	})

	it('triggers exactly the cron strings of CRONS', () => {
		expect([...wrangler.triggers.crons].sort()).toEqual(Object.values(CRONS).sort())
	})

	it('produces to and consumes the queues the code names', () => {
		expect(wrangler.queues.producers?.map((p: { queue: string }) => p.queue).sort()).toEqual(
			[JOBS_QUEUE, DEAD_LETTER_QUEUE].sort(),
		)
		const consumers = wrangler.queues.consumers ?? []
		expect(consumers.map((c: { queue: string }) => c.queue).sort()).toEqual(
			[JOBS_QUEUE, DEAD_LETTER_QUEUE].sort(),
		)
		expect(
			consumers.find((c: { queue: string }) => c.queue === JOBS_QUEUE)?.dead_letter_queue,
		).toBe(DEAD_LETTER_QUEUE)
	})
})
