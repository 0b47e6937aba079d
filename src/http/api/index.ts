/**
 * @module The admin API under `/api`: every route needs admin credentials, validates its input
 * with zod, and is described in `GET /api/openapi.json`, generated from the same route definitions
 * at build time (`npm run openapi` writes openapi.json; a test fails when it no longer matches).
 */
import type { OpenAPIHono } from '@hono/zod-openapi'
import { requireAdmin } from '../admin-auth.ts'
import type { AppEnv } from '../app.ts'
import { errorResponse } from '../errors.ts'
import { controlRoutes } from './control.ts'
import { deploymentRoutes } from './deployments.ts'
import { egressRoutes } from './egress.ts'
import { eventRoutes } from './events.ts'
import openApiDocument from './openapi.json' with { type: 'json' }
import { ApiApp } from './route-app.ts'
import { runRoutes } from './runs.ts'
import { statusRoutes } from './status.ts'

/** Builds the `/api` app. */
export function createApi(): OpenAPIHono<AppEnv> {
	const api = new ApiApp<AppEnv>({
		// Validation failures use the same envelope as every other error.
		defaultHook: (result, c) => {
			if (!result.success) {
				const issue = result.error.issues[0]
				const where = issue?.path.length ? `${issue.path.join('.')}: ` : ''
				return errorResponse(
					'bad_request',
					`${where}${issue?.message ?? 'invalid request'}`,
					c.get('requestId'),
				)
			}
			return undefined
		},
	})
	api.use(requireAdmin())
	api.route('/', statusRoutes)
	api.route('/', runRoutes)
	api.route('/', controlRoutes)
	api.route('/', deploymentRoutes)
	api.route('/', egressRoutes)
	api.route('/', eventRoutes)
	// Generated from the routes above (src/http/api/openapi-document.ts); served as it is.
	api.get('/openapi.json', (c) => c.json(openApiDocument))
	return api
}
