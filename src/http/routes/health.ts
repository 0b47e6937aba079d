/** `GET /healthz`: liveness for anyone. Names missing configuration, never values or internals. */
import { Hono } from 'hono'
import type { AppEnv } from '../app.ts'

export const healthRoutes = new Hono<AppEnv>().get('/healthz', (c) => {
	const { version, missingConfig } = c.var.deps
	return c.json({
		status: 'ok',
		version,
		missingConfig: missingConfig.map((m) => m.name),
	})
})
