/**
 * @module The admin API's routes as the Worker runs them: `@hono/zod-openapi`'s route definitions
 * and handler types, run on plain Hono with `@hono/zod-validator`. The runtime package brings the
 * OpenAPI generator and every zod locale into the bundle (it hands the whole `z` namespace to the
 * generator's extension), about half the Worker; the document is generated at build time instead,
 * from the same definitions (`npm run openapi`, src/http/api/openapi-document.ts).
 */
import type { OpenAPIHono, RouteConfig } from '@hono/zod-openapi'
import { zValidator } from '@hono/zod-validator'
import type { Context, MiddlewareHandler, Next } from 'hono'
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { mergePath } from 'hono/utils/url'

type Hook = (result: { success: boolean }, c: Context) => unknown

/** A route definition, as `@hono/zod-openapi`'s `createRoute` types it (no runtime needed). */
export const createRoute = (<R extends RouteConfig>(route: R) => route) as unknown as <
	R extends RouteConfig,
>(
	route: R,
) => R & { getRoutingPath(): string }

class RouteApp extends Hono {
	/** Every route registered here and under it, with its full path, for the OpenAPI document. */
	definitions: RouteConfig[] = []
	defaultHook: Hook | undefined
	parent: RouteApp | undefined

	constructor(init?: { defaultHook?: Hook }) {
		super()
		this.defaultHook = init?.defaultHook
	}

	/** The nearest default hook, here or in an app this one is mounted under (as OpenAPIHono). */
	hook(): Hook | undefined {
		for (let app: RouteApp | undefined = this; app; app = app.parent) {
			if (app.defaultHook) {
				return app.defaultHook
			}
		}
		return undefined
	}

	openapi = (route: RouteConfig, handler: MiddlewareHandler) => {
		this.definitions.push(route)
		const hook: Hook = (result, c) => this.hook()?.(result, c)
		const validators: MiddlewareHandler[] = []
		const request = route.request
		if (request?.query) {
			validators.push(zValidator('query', request.query as never, hook as never))
		}
		if (request?.params) {
			validators.push(zValidator('param', request.params as never, hook as never))
		}
		if (request?.headers) {
			validators.push(zValidator('header', request.headers as never, hook as never))
		}
		const content = request?.body?.content
		const media = content?.['application/json']
		const schema = media && 'schema' in media ? media.schema : undefined
		if (content && schema) {
			const declared = Object.keys(content)
			if (declared.some((type) => type !== 'application/json')) {
				throw new Error(`${route.path}: only application/json bodies are supported`)
			}
			validators.push(jsonOnly)
			const validator = zValidator('json', schema as never, hook as never)
			validators.push(
				request.body?.required
					? validator
					: async (c, next) => {
							if (isJson(c.req.header('content-type'))) {
								return validator(c, next)
							}
							c.req.addValidatedData('json', {})
							await next()
						},
			)
		}
		this.on(
			[route.method.toUpperCase()],
			[route.path.replaceAll(/\/{(.+?)}/g, '/:$1')],
			...validators,
			handler,
		)
		return this
	}

	// Hono's overloads are generic; ApiApp's public type (OpenAPIHono's) is what callers see.
	// @ts-expect-error the override keeps Hono's behaviour and collects the mounted definitions
	override route(path: string, app: Hono): this {
		super.route(path, app as never)
		if (app instanceof RouteApp) {
			app.parent ??= this
			const prefix = path.replaceAll(/:([^/]+)/g, '{$1}')
			for (const route of app.definitions) {
				this.definitions.push({ ...route, path: mergePath(prefix, route.path) })
			}
		}
		return this
	}
}

/** 415 for a body that is not JSON, as OpenAPIHono answers it. */
async function jsonOnly(c: Context, next: Next): Promise<void> {
	const type = c.req.header('content-type')
	if (type ? !JSON_REQUEST.test(type) : await hasBody(c)) {
		throw new HTTPException(415, { message: 'Unsupported Media Type' })
	}
	await next()
}

const JSON_REQUEST = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i

function isJson(type: string | undefined): boolean {
	return type !== undefined && /^application\/([a-z-.]+\+)?json/i.test(type)
}

async function hasBody(c: Context): Promise<boolean> {
	const raw = c.req.raw
	if (raw.body === null) {
		return false
	}
	if (raw.bodyUsed) {
		return (await c.req.arrayBuffer()).byteLength > 0
	}
	return (await raw.clone().arrayBuffer()).byteLength > 0
}

/**
 * An app of admin API routes, typed as OpenAPIHono so handlers see their validated input and
 * declared responses; only `openapi`, `route` and Hono's own methods exist at run time.
 */
export const ApiApp = RouteApp as unknown as typeof OpenAPIHono

/** The routes registered in `app` and the apps mounted under it, with their full paths. */
export function routeDefinitions(app: unknown): RouteConfig[] {
	if (!(app instanceof RouteApp)) {
		throw new Error('not an admin API app')
	}
	return app.definitions
}
