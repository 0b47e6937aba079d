/**
 * @module The admin API under `/api`: every route needs admin credentials, validates its input
 * with zod, and is described in `GET /api/openapi.json`, generated from the same schemas.
 */
import { OpenAPIHono } from '@hono/zod-openapi'
import { requireAdmin } from '../admin-auth.ts'
import type { AppEnv } from '../app.ts'
import { ERROR_STATUS, errorResponse } from '../errors.ts'
import { controlRoutes } from './control.ts'
import { deploymentRoutes } from './deployments.ts'
import { egressRoutes } from './egress.ts'
import { eventRoutes } from './events.ts'
import { runRoutes } from './runs.ts'
import { statusRoutes } from './status.ts'

/** Builds the `/api` app. */
export function createApi(): OpenAPIHono<AppEnv> {
	const api = new OpenAPIHono<AppEnv>({
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
	api.openAPIRegistry.registerComponent('securitySchemes', 'adminToken', {
		type: 'http',
		scheme: 'bearer',
	})
	api.doc('/openapi.json', (c) => ({
		openapi: '3.0.3',
		info: {
			title: 'tidegate admin API',
			version: c.var.deps.version,
			description: [
				'Authenticate with `Authorization: Bearer <ADMIN_TOKEN>` or a Cloudflare Access JWT.',
				'Every error answers `{"error": {"code", "message", "requestId"}}` (schema `Error`); the codes and their statuses:',
				Object.entries(ERROR_STATUS)
					.map(([code, status]) => `\`${code}\` ${status}`)
					.join(', '),
				'A write (reconcile, resume, rollback) is queued: 202 with the run id, its URL in `run` and `Location`.',
			].join('\n\n'),
		},
		servers: [{ url: '/api' }],
		security: [{ adminToken: [] }],
	}))
	return api
}
