/**
 * `GET /healthz`: liveness for anyone. Names missing configuration and optional features that are
 * off, never values or internals.
 */
import { Hono } from 'hono'
import type { AppEnv } from '../app.ts'

export const healthRoutes = new Hono<AppEnv>().get('/healthz', (c) => {
	const { version, missingConfig, featuresOff } = c.var.deps
	return c.json({
		status: 'ok',
		version,
		missingConfig: missingConfig.map((m) => m.name),
		off: featuresOff.map((f) => f.name),
	})
})
