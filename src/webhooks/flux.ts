/**
 * @module Flux notification-controller deliveries (API-CONTRACTS §3): the `generic-hmac`
 * `X-Signature` check over the raw bytes, the `generic` provider's bearer header, and a tolerant
 * schema of the event body (unknown fields allowed; the raw body is what gets stored).
 */
import { z } from 'zod'
import type { FluxEventInput } from '../domain/flux/event.ts'
import { matchesAnySecret, parseHex256, sha256Hex, verifyHmacSha256 } from '../lib/secrets.ts'

/** The outcome of authenticating a Flux delivery. */
export type FluxAuthCheck =
	| { result: 'valid'; mode: 'generic-hmac' | 'generic' }
	| { result: 'missing' | 'malformed' | 'mismatch' }
	| { result: 'unsupported_algorithm'; algorithm: string }

/**
 * Authenticates a delivery against every configured secret (current, then previous). An
 * `X-Signature` decides when present (generic-hmac; it is set after custom headers, so it is what
 * Flux meant); otherwise `Authorization: Bearer <secret>` (generic provider with a headers Secret).
 * Only sha256 is accepted: it is Flux's default, and accepting weaker ones invites downgrades.
 */
export async function verifyFluxAuth(
	headers: { signature: string | null; authorization: string | null },
	body: Uint8Array,
	secrets: readonly string[],
): Promise<FluxAuthCheck> {
	if (headers.signature !== null && headers.signature !== '') {
		return verifySignature(headers.signature, body, secrets)
	}
	if (headers.authorization !== null && headers.authorization !== '') {
		const bearer = /^Bearer ([^\s]+)$/i.exec(headers.authorization)
		if (!bearer?.[1]) {
			return { result: 'malformed' }
		}
		return (await matchesAnySecret(bearer[1], secrets))
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

/** SHA-256 (hex) of the raw body: the idempotency key of an event. */
export async function bodyDigest(body: Uint8Array): Promise<string> {
	return sha256Hex(body)
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
