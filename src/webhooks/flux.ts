/**
 * @module Flux notification-controller deliveries: authentication over the raw bytes — the
 * `generic-hmac` `X-Signature` (keyed with FLUX_WEBHOOK_SECRET) or, only when FLUX_WEBHOOK_TOKEN is
 * set, the `generic` provider's `Authorization: Bearer` (never the HMAC key: a bearer token travels
 * in a header, where proxies and logs see it) — then JSON and a tolerant schema of the body (unknown
 * fields allowed; the raw body is what gets stored). `verifyFluxDelivery` is the one entry point.
 */
import * as z from 'zod'
import type { FluxEventInput } from '../domain/flux/event.ts'
import { err, ok, type Result } from '../lib/result.ts'
import { matchesAnySecret, parseHex256, sha256Hex, verifyHmacSha256 } from '../lib/secrets.ts'
import { parseJsonBytes } from './read-body.ts'

/** What a delivery may be authenticated with; each list is current first, then previous. */
export interface FluxCredentials {
	/** FLUX_WEBHOOK_SECRET(_PREVIOUS): the `generic-hmac` key. */
	hmacKeys: readonly string[]
	/** FLUX_WEBHOOK_TOKEN(_PREVIOUS): the `generic` bearer token; empty means bearer mode is off. */
	bearerTokens: readonly string[]
}

/** The outcome of authenticating a Flux delivery. */
export type FluxAuthCheck =
	| { result: 'valid'; mode: 'generic-hmac' | 'generic' }
	| { result: 'missing' | 'malformed' | 'mismatch' | 'bearer_off' }
	| { result: 'unsupported_algorithm'; algorithm: string }

/** An authenticated, parsed delivery: the one value the route hands to the use case. */
export interface VerifiedFluxEvent {
	event: FluxEventInput
	/** SHA-256 (hex) of the raw body: the idempotency key (Flux retries and sends no id). */
	bodyHash: string
	/** The body as received, stored so nothing Flux sent is lost to the schema. */
	rawBody: string
	mode: 'generic-hmac' | 'generic'
}

/** Why a delivery was refused, with the words the sender sees. */
export interface FluxRefusal {
	code: 'unauthorized' | 'bad_request'
	message: string
}

/** Authenticates, parses and fingerprints one delivery. */
export async function verifyFluxDelivery(
	headers: { signature: string | null; authorization: string | null },
	body: Uint8Array,
	credentials: FluxCredentials,
): Promise<Result<VerifiedFluxEvent, FluxRefusal>> {
	const auth = await verifyFluxAuth(headers, body, credentials)
	if (auth.result !== 'valid') {
		return err({ code: 'unauthorized', message: authMessage(auth) })
	}
	const json = parseJsonBytes(body)
	if (!json.ok) {
		return err({ code: 'bad_request', message: json.error })
	}
	const parsed = parseFluxEvent(json.value)
	if (!parsed.ok) {
		return err({ code: 'bad_request', message: parsed.message })
	}
	return ok({
		event: parsed.value,
		bodyHash: await sha256Hex(body),
		rawBody: new TextDecoder().decode(body),
		mode: auth.mode,
	})
}

/**
 * Authenticates a delivery against every configured credential (current, then previous). An
 * `X-Signature` decides when present (generic-hmac; it is set after custom headers, so it is what
 * Flux meant); otherwise `Authorization: Bearer <token>`, compared with the bearer tokens only.
 * Only sha256 is accepted: it is Flux's default, and accepting weaker ones invites downgrades.
 */
export async function verifyFluxAuth(
	headers: { signature: string | null; authorization: string | null },
	body: Uint8Array,
	credentials: FluxCredentials,
): Promise<FluxAuthCheck> {
	if (headers.signature !== null && headers.signature !== '') {
		return verifySignature(headers.signature, body, credentials.hmacKeys)
	}
	if (headers.authorization !== null && headers.authorization !== '') {
		const bearer = /^Bearer ([^\s]+)$/i.exec(headers.authorization)
		if (!bearer?.[1]) {
			return { result: 'malformed' }
		}
		if (credentials.bearerTokens.length === 0) {
			return { result: 'bearer_off' }
		}
		return (await matchesAnySecret(bearer[1], credentials.bearerTokens))
			? { result: 'valid', mode: 'generic' }
			: { result: 'mismatch' }
	}
	return { result: 'missing' }
}

async function verifySignature(
	header: string,
	body: Uint8Array,
	secrets: readonly string[],
): Promise<FluxAuthCheck> {
	const match = /^([A-Za-z0-9-]+)=(.*)$/.exec(header)
	if (!match?.[1] || match[2] === undefined) {
		return { result: 'malformed' }
	}
	const algorithm = match[1].toLowerCase()
	if (algorithm !== 'sha256') {
		return { result: 'unsupported_algorithm', algorithm: match[1] }
	}
	// Strict like the GitHub check: Go's hex encoder writes lowercase, nothing else is expected.
	const signature = parseHex256(match[2])
	if (!signature) {
		return { result: 'malformed' }
	}
	return (await verifyHmacSha256(secrets, body, signature))
		? { result: 'valid', mode: 'generic-hmac' }
		: { result: 'mismatch' }
}

function authMessage(check: Exclude<FluxAuthCheck, { result: 'valid' }>): string {
	switch (check.result) {
		case 'missing':
			return 'missing X-Signature (Provider type generic-hmac) or Authorization: Bearer (type generic with a headers Secret)'
		case 'malformed':
			return 'malformed credentials: expected X-Signature: sha256=<64 lowercase hex digits> or Authorization: Bearer <token>'
		case 'mismatch':
			return 'the signature or token does not match (X-Signature is keyed with FLUX_WEBHOOK_SECRET, a bearer token must equal FLUX_WEBHOOK_TOKEN; or the body was altered)'
		case 'bearer_off':
			return 'bearer tokens are not accepted: set FLUX_WEBHOOK_TOKEN (a value other than FLUX_WEBHOOK_SECRET) to enable the generic provider, or use generic-hmac'
		case 'unsupported_algorithm':
			return `X-Signature uses ${check.algorithm}; tidegate accepts only sha256=<hex>, the Flux generic-hmac default`
	}
}

const timestamp = z
	.string()
	.refine((t) => Number.isFinite(Date.parse(t)), 'must be an RFC 3339 time')
	.optional()

/**
 * The event body (`eventv1.Event`). Loose on purpose: notification-controller versions differ in
 * which optional fields they send, and anything tidegate does not model stays in the stored body.
 */
export const fluxEventSchema = z.looseObject({
	involvedObject: z.looseObject({
		kind: z.string().min(1),
		namespace: z.string().optional(),
		name: z.string().min(1),
		uid: z.string().optional(),
		apiVersion: z.string().optional(),
	}),
	// Unknown severities are accepted (recorded, never a success); trace never leaves Flux.
	severity: z.string().min(1),
	timestamp,
	message: z.string().default(''),
	reason: z.string().default(''),
	metadata: z.record(z.string(), z.unknown()).nullish(),
	reportingController: z.string().default(''),
	reportingInstance: z.string().optional(),
})

/** Parses a body; the error names the first offending field. */
export function parseFluxEvent(
	json: unknown,
): { ok: true; value: FluxEventInput } | { ok: false; message: string } {
	const parsed = fluxEventSchema.safeParse(json)
	if (!parsed.success) {
		const issue = parsed.error.issues[0]
		return {
			ok: false,
			message: `invalid Flux event: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
		}
	}
	const { metadata, ...rest } = parsed.data
	return { ok: true, value: { ...rest, metadata: metadata ?? undefined } }
}
