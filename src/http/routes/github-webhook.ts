/**
 * `POST /webhooks/github`: cap → content type → headers → raw body → HMAC (current and previous
 * secret, constant time) → JSON + schema (`push`, `pull_request`, `ping`) → dedupe on
 * X-GitHub-Delivery and on the body's SHA-256 (a captured body replayed under a new delivery id) →
 * record → queue → 202.
 */
import { Hono } from 'hono'
import type * as z from 'zod'
import { ingestGitHubDelivery, type VerifiedDelivery } from '../../app/github/ingest.ts'
import { sha256Hex } from '../../lib/secrets.ts'
import {
	pingPayloadSchema,
	pullRequestPayloadSchema,
	pushPayloadSchema,
	verifyGitHubSignature,
} from '../../webhooks/github.ts'
import type { AppEnv } from '../app.ts'
import { AppError } from '../errors.ts'
import { parseJson, rawJsonBody } from '../webhook-body.ts'

export const githubWebhookRoutes = new Hono<AppEnv>().post('/webhooks/github', async (c) => {
	const deps = c.var.deps
	const body = await rawJsonBody(c.req.raw)
	const event = c.req.header('x-github-event')
	const deliveryId = c.req.header('x-github-delivery')
	if (!event || !deliveryId) {
		throw new AppError('bad_request', 'missing X-GitHub-Event or X-GitHub-Delivery header')
	}
	if (deps.webhookSecrets.github.length === 0) {
		// Fail closed: without a secret nothing can be verified, so nothing is accepted.
		throw new AppError(
			'unavailable',
			'GITHUB_WEBHOOK_SECRET is not configured; every delivery is refused',
		)
	}
	const check = await verifyGitHubSignature(
		c.req.header('x-hub-signature-256') ?? null,
		body,
		deps.webhookSecrets.github,
	)
	if (check !== 'valid') {
		throw new AppError('unauthorized', SIGNATURE_MESSAGES[check])
	}
	const json = parseJson(body)
	const verified: VerifiedDelivery = {
		deliveryId,
		hookId: c.req.header('x-github-hook-id') ?? null,
		bodyHash: await sha256Hex(body),
		event: parseEvent(event, json),
	}
	const outcome = await ingestGitHubDelivery(deps, verified)
	switch (outcome.kind) {
		case 'duplicate':
			return c.json(
				{
					deliveryId,
					duplicate: true,
					status: outcome.delivery.status,
					...(outcome.delivery.deliveryId !== deliveryId && {
						replayOf: outcome.delivery.deliveryId,
					}),
				},
				200,
			)
		case 'ping':
			return c.json({ deliveryId, status: 'pong' }, 200)
		case 'ignored':
			return c.json({ deliveryId, status: 'ignored', reason: outcome.reason }, 200)
		case 'queued':
			return c.json({ deliveryId, status: 'queued', runId: outcome.runId }, 202)
		case 'queued-pull-request':
			return c.json({ deliveryId, status: 'queued', pullRequest: outcome.number }, 202)
	}
})

const SIGNATURE_MESSAGES = {
	missing: 'missing X-Hub-Signature-256 header (set a secret on the GitHub webhook)',
	malformed: 'malformed X-Hub-Signature-256 header: expected sha256=<64 lowercase hex digits>',
	mismatch: 'X-Hub-Signature-256 does not match the body (wrong secret, or the body was altered)',
} as const

function parseEvent(event: string, json: unknown): VerifiedDelivery['event'] {
	if (event === 'push') {
		return { name: 'push', payload: parse(pushPayloadSchema, json, 'push') }
	}
	if (event === 'pull_request') {
		return { name: 'pull_request', payload: parse(pullRequestPayloadSchema, json, 'pull_request') }
	}
	if (event === 'ping') {
		parse(pingPayloadSchema, json, 'ping')
		return { name: 'ping' }
	}
	return { name: event }
}

function parse<T>(schema: z.ZodType<T>, json: unknown, event: string): T {
	const parsed = schema.safeParse(json)
	if (!parsed.success) {
		const issue = parsed.error.issues[0]
		throw new AppError(
			'bad_request',
			`invalid ${event} payload: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
		)
	}
	return parsed.data
}
