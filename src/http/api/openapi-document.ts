/**
 * @module The admin API's OpenAPI document, generated from the route definitions the Worker runs
 * (zod schemas with their `.meta()`). Not part of the Worker: `npm run openapi` writes it to
 * src/http/api/openapi.json, which the Worker serves, and a test compares the two.
 */
import { OpenAPIRegistry, OpenApiGeneratorV3 } from '@asteasolutions/zod-to-openapi'
import { ERROR_STATUS } from '../errors.ts'
import { createApi } from './index.ts'
import { routeDefinitions } from './route-app.ts'

/** The document for the routes of `createApi()`, at `version` (package.json's). */
export function generateOpenApiDocument(version: string): unknown {
	const registry = new OpenAPIRegistry()
	for (const route of routeDefinitions(createApi())) {
		registry.registerPath(route)
	}
	registry.registerComponent('securitySchemes', 'adminToken', { type: 'http', scheme: 'bearer' })
	return new OpenApiGeneratorV3(registry.definitions).generateDocument({
		openapi: '3.0.3',
		info: {
			title: 'tidegate admin API',
			version,
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
	})
}
