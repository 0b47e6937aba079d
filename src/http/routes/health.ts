/**
 * `GET /healthz`: liveness for anyone. Names missing or refused configuration and optional features
 * that are off, never values or internals.
 */
import { Hono } from 'hono'
import { describeMissing } from '../../app/config.ts'
import type { AppEnv } from '../app.ts'

export const healthRoutes = new Hono<AppEnv>().get('/healthz', (c) => {
	const { version, missingConfig, featuresOff } = c.var.deps
	return c.json({
		status: 'ok',
		version,
		missingConfig: missingConfig.map((m) => m.name),
		configProblems: missingConfig.map(describeMissing),
		off: featuresOff.map((f) => f.name),
	})
})
