/**
 * @module The HTTP surface: one Hono app, one error shape. Handlers parse, call one use case,
 * and shape the answer; dependencies arrive in `c.var.deps`, put there by the entry point.
 */
import { Hono, type MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { SecureHeadersVariables } from 'hono/secure-headers'
import type { Deps } from '../app/deps.ts'
import type { Principal } from './admin-auth.ts'
import { createApi } from './api/index.ts'
import { AppError, errorResponse } from './errors.ts'
import { rateLimit } from './rate-limit.ts'
import { agentRoutes } from './routes/agent.ts'
import { fluxWebhookRoutes } from './routes/flux-webhook.ts'
import { githubWebhookRoutes } from './routes/github-webhook.ts'
import { healthRoutes } from './routes/health.ts'
import { pageRoutes } from './routes/pages.tsx'
import { pullRequestRoutes } from './routes/pull-requests.tsx'
import { securityHeaders } from './security-headers.ts'

/** Hono's typing for every route: the request's dependencies and id. */
export interface AppEnv {
	Variables: { deps: Deps; requestId: string; principal: Principal } & SecureHeadersVariables
}

/** Builds the app; `provideDeps` is the composition root's middleware that sets `deps`. */
export function createApp(provideDeps: MiddlewareHandler<AppEnv>): Hono<AppEnv> {
	const app = new Hono<AppEnv>()
	app.use(async (c, next) => {
		c.set('requestId', c.req.header('cf-ray') ?? crypto.randomUUID())
		await next()
	})
	app.use(securityHeaders())
	app.use(provideDeps)
	app.use(rateLimit())
	app.route('/', healthRoutes)
	app.route('/', githubWebhookRoutes)
	app.route('/', fluxWebhookRoutes)
	app.route('/', agentRoutes)
	app.route('/api', createApi())
	app.route('/', pageRoutes)
	app.route('/', pullRequestRoutes)

	app.notFound((c) =>
		errorResponse('not_found', `no route for ${c.req.method} ${c.req.path}`, c.get('requestId')),
	)
	app.onError((e, c) => {
		const requestId = c.get('requestId')
		if (e instanceof AppError) {
			return errorResponse(e.code, e.message, requestId, {
				details: e.details,
				headers: e.headers,
			})
		}
		if (e instanceof HTTPException && e.status < 500) {
			return errorResponse('bad_request', e.message, requestId)
		}
		// Details of our own faults go to the log only; the caller gets the request id to quote.
		c.var.deps?.log.log('error', 'http.unhandled', {
			requestId,
			path: c.req.path,
			error: e instanceof Error ? e.message : String(e),
			stack: e instanceof Error ? e.stack : undefined,
		})
		return errorResponse('internal', 'internal error', requestId)
	})
	return app
}
