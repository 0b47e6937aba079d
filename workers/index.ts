/**
 * @module The Worker: HTTP (Hono), the JOBS queue consumer and cron. Wiring only; the logic is in src/.
 */
import { createApp } from '../src/http/app.ts'
import { buildDeps } from './deps.ts'
import { handleQueue } from './queue.ts'
import { handleScheduled } from './scheduled.ts'

const app = createApp(async (c, next) => {
	c.set('deps', buildDeps(c.env as Env))
	await next()
})

export default {
	fetch: app.fetch,
	// The execution context is unused: every handler awaits its work before returning.
	queue: (batch, env, _ctx) => handleQueue(batch, buildDeps(env)),
	scheduled: (controller, env, _ctx) => handleScheduled(controller, buildDeps(env)),
} satisfies ExportedHandler<Env, unknown>
