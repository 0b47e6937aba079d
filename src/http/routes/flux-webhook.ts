/**
 * `POST /webhooks/flux`: cap → content type → raw body → auth (generic-hmac `X-Signature`, or
 * generic `Authorization: Bearer`; current and previous secret; none configured: refuse all) →
 * JSON + tolerant schema → dedupe on the body's SHA-256 → record → 202 (200 for a duplicate).
 */
import { Hono } from 'hono'
import { ingestFluxEvent } from '../../app/flux/ingest.ts'
import { objectLabel, toFluxEvent } from '../../domain/flux/event.ts'
import {
	bodyDigest,
	type FluxAuthCheck,
	parseFluxEvent,
	verifyFluxAuth,
} from '../../webhooks/flux.ts'
import type { AppEnv } from '../app.ts'
import { AppError } from '../errors.ts'
import { parseJson, rawJsonBody } from '../webhook-body.ts'

export const fluxWebhookRoutes = new Hono<AppEnv>().post('/webhooks/flux', async (c) => {
	const deps = c.var.deps
	const body = await rawJsonBody(c.req.raw)
	if (deps.webhookSecrets.flux.length === 0) {
		// Fail closed: without a secret nothing can be verified, so nothing is accepted.
		throw new AppError(
			'unavailable',
			'FLUX_WEBHOOK_SECRET is not configured; every event is refused',
		)
	}
	const auth = await verifyFluxAuth(
		{
			signature: c.req.header('x-signature') ?? null,
			authorization: c.req.header('authorization') ?? null,
		},
		body,
		deps.webhookSecrets.flux,
	)
	if (auth.result !== 'valid') {
		throw new AppError('unauthorized', authMessage(auth))
	}
	const parsed = parseFluxEvent(parseJson(body))
	if (!parsed.ok) {
		throw new AppError('bad_request', parsed.message)
	}
	const event = toFluxEvent(parsed.value, deps.now())
	const outcome = await ingestFluxEvent(deps, {
		event,
		bodyHash: await bodyDigest(body),
		rawBody: new TextDecoder().decode(body),
	})
	if (outcome.kind === 'duplicate') {
		return c.json({ eventId: outcome.eventId, duplicate: true }, 200)
	}
	return c.json(
		{
			eventId: outcome.eventId,
			status: 'recorded',
			object: objectLabel(event.object),
			outcome: event.outcome,
			failureClass: event.failureClass,
			stale: outcome.stale,
			transition: outcome.transition,
		},
		202,
	)
})

function authMessage(check: Exclude<FluxAuthCheck, { result: 'valid' }>): string {
	switch (check.result) {
		case 'missing':
			return 'missing X-Signature (Provider type generic-hmac) or Authorization: Bearer (type generic with a headers Secret)'
		case 'malformed':
			return 'malformed credentials: expected X-Signature: sha256=<64 lowercase hex digits> or Authorization: Bearer <token>'
		case 'mismatch':
			return 'the signature or token does not match FLUX_WEBHOOK_SECRET (wrong secret, or the body was altered)'
		case 'unsupported_algorithm':
			return `X-Signature uses ${check.algorithm}; tidegate accepts only sha256=<hex>, the Flux generic-hmac default`
	}
}
