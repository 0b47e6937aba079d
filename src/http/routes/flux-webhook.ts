/**
 * `POST /webhooks/flux`: cap → content type → raw body → one verified value (credentials — the
 * generic-hmac signature, or a bearer token when FLUX_WEBHOOK_TOKEN is set; none configured: refuse
 * all — then JSON, schema and the body's SHA-256) → the use case → 202 (200 for a duplicate; 503
 * with Retry-After when a concurrent event for the same object won the write, so Flux resends).
 */
import { Hono } from 'hono'
import { ingestFluxEvent } from '../../app/flux/ingest.ts'
import { verifyFluxDelivery } from '../../webhooks/flux.ts'
import type { AppEnv } from '../app.ts'
import { AppError } from '../errors.ts'
import { rawJsonBody } from '../webhook-body.ts'

export const fluxWebhookRoutes = new Hono<AppEnv>().post('/webhooks/flux', async (c) => {
	const deps = c.var.deps
	const body = await rawJsonBody(c.req.raw)
	const { flux, fluxBearer } = deps.webhookSecrets
	if (flux.length === 0 && fluxBearer.length === 0) {
		// Fail closed: without a secret nothing can be verified, so nothing is accepted.
		throw new AppError(
			'unavailable',
			'FLUX_WEBHOOK_SECRET is not configured (or is refused, see /healthz); every event is refused',
		)
	}
	const delivery = await verifyFluxDelivery(
		{
			signature: c.req.header('x-signature') ?? null,
			authorization: c.req.header('authorization') ?? null,
		},
		body,
		{ hmacKeys: flux, bearerTokens: fluxBearer },
	)
	if (!delivery.ok) {
		throw new AppError(delivery.error.code, delivery.error.message)
	}
	const outcome = await ingestFluxEvent(deps, delivery.value)
	switch (outcome.kind) {
		case 'duplicate':
			return c.json({ eventId: outcome.eventId, duplicate: true }, 200)
		case 'busy':
			throw new AppError(
				'unavailable',
				`another event for ${outcome.object} was recorded at the same moment; nothing of this one was written, send it again`,
				{ headers: { 'retry-after': String(retryAfterSeconds()) } },
			)
		case 'recorded':
			return c.json(
				{
					eventId: outcome.eventId,
					status: 'recorded',
					object: outcome.object,
					outcome: outcome.outcome,
					failureClass: outcome.failureClass,
					stale: outcome.stale,
					transition: outcome.transition,
				},
				202,
			)
	}
})

/**
 * 1–5 seconds. notification-controller (go-retryablehttp) waits what Retry-After says on a 503,
 * else a fixed 2 s, 4 s, 8 s…: events that collided at the same moment would resend in lockstep
 * and collide again, so each loser is told a different wait.
 */
function retryAfterSeconds(): number {
	return 1 + Math.floor(Math.random() * 5)
}
