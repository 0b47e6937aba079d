/**
 * @module The HTTP surface: one Hono app, one error envelope. Handlers parse, call one use case,
 * and shape the answer; dependencies arrive in `c.var.deps`, put there by the entry point.
 */
import { Hono, type MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { Deps } from '../app/deps.ts'
import type { Principal } from './admin-auth.ts'
import { createApi } from './api/index.ts'
import { AppError, errorEnvelope } from './errors.ts'
import { agentRoutes } from './routes/agent.ts'
import { fluxWebhookRoutes } from './routes/flux-webhook.ts'
import { githubWebhookRoutes } from './routes/github-webhook.ts'
import { healthRoutes } from './routes/health.ts'
import { pageRoutes } from './routes/pages.tsx'
import { pullRequestRoutes } from './routes/pull-requests.tsx'

/** Hono's typing for every route: the request's dependencies and id. */
export interface AppEnv {
	Variables: { deps: Deps; requestId: string; principal: Principal }
}

/** Builds the app; `provideDeps` is the composition root's middleware that sets `deps`. */
export function createApp(provideDeps: MiddlewareHandler<AppEnv>): Hono<AppEnv> {
	const app = new Hono<AppEnv>()
	app.use(async (c, next) => {
		c.set('requestId', c.req.header('cf-ray') ?? crypto.randomUUID())
		await next()
	})
	app.use(provideDeps)
	app.route('/', healthRoutes)
	app.route('/', githubWebhookRoutes)
	app.route('/', fluxWebhookRoutes)
	app.route('/', agentRoutes)
	app.route('/api', createApi())
	app.route('/', pageRoutes)
	app.route('/', pullRequestRoutes)

	app.notFound((c) =>
		c.json(errorEnvelope('not_found', `no route for ${c.req.method} ${c.req.path}`), 404),
	)
	app.onError((e, c) => {
		const requestId = c.get('requestId')
		if (e instanceof AppError) {
			return c.json(
				errorEnvelope(e.code, e.message, {
					requestId,
					...(e.details === undefined ? {} : { details: e.details }),
				}),
				e.status,
			)
		}
		if (e instanceof HTTPException && e.status < 500) {
			return c.json(errorEnvelope('bad_request', e.message, { requestId }), e.status)
		}
		// Details of our own faults go to the log only; the caller gets the request id to quote.
		c.var.deps?.log.log('error', 'http.unhandled', {
			requestId,
			path: c.req.path,
			error: e instanceof Error ? e.message : String(e),
			stack: e instanceof Error ? e.stack : undefined,
		})
		return c.json(errorEnvelope('internal', 'internal error', { requestId }), 500)
	})
	return app
}
