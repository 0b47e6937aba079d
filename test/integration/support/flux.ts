// Builds Flux notification-controller deliveries the way Flux sends them (docs/outside-apis.md, Flux):
// compact JSON of eventv1.Event in Go field order, `X-Signature: sha256=<hex>` over those bytes.
import { env, exports } from 'cloudflare:workers'
import { HttpResponse, http } from 'msw'
import { hmacSha256Hex } from '../../../src/lib/secrets.ts'
import { useEdge } from './network.ts'

export const FLUX_SECRET = 'test-flux-secret-0123456789abcdef'
export const FLUX_SECRET_PREVIOUS = 'test-flux-secret-old-0123456789abcdef'
/** FLUX_WEBHOOK_TOKEN: the `generic` provider's bearer token, a separate value from the HMAC key. */
export const FLUX_TOKEN = 'test-flux-bearer-token-0123456789abcdef'
export const ADMIN = { authorization: 'Bearer test-admin-token-0123456789abcdef' }

/** A 40-hex commit sha made from a short label, so tests can name commits. */
export const sha = (label: string): string =>
	[...label]
		.map((c) => c.charCodeAt(0).toString(16).padStart(2, '0'))
		.join('')
		.padEnd(40, '0')
		.slice(0, 40)

export interface EventSpec {
	kind?: string
	namespace?: string
	name: string
	severity?: string
	/** ISO time, or seconds after 2026-01-02T03:00:00Z. */
	at?: string | number
	message?: string
	reason?: string
	metadata?: Record<string, string> | null
	controller?: string
	extra?: Record<string, unknown>
}

const BASE = Date.parse('2026-01-02T03:00:00Z')

/** The Unix ms of an `at` given in seconds after the base time. */
export const atMs = (seconds: number): number => BASE + seconds * 1000

/** The event body, compact, fields in Go struct order. */
export function fluxEvent(spec: EventSpec): string {
	const kind = spec.kind ?? 'Kustomization'
	const at =
		typeof spec.at === 'string'
			? spec.at
			: new Date(atMs(spec.at ?? 0)).toISOString().replace('.000Z', 'Z')
	const body: Record<string, unknown> = {
		involvedObject: {
			kind,
			namespace: spec.namespace ?? 'flux-system',
			name: spec.name,
			uid: `uid-${kind}-${spec.name}`,
			apiVersion:
				kind === 'HelmRelease' ? 'helm.toolkit.fluxcd.io/v2' : 'kustomize.toolkit.fluxcd.io/v1',
		},
		severity: spec.severity ?? 'info',
		timestamp: at,
		message: spec.message ?? 'Reconciliation finished in 812.4ms, next run in 5m0s',
		reason: spec.reason ?? 'ReconciliationSucceeded',
	}
	if (spec.metadata !== null) {
		body.metadata = spec.metadata ?? {}
	}
	body.reportingController =
		spec.controller ?? (kind === 'HelmRelease' ? 'helm-controller' : 'kustomize-controller')
	body.reportingInstance = `${String(body.reportingController)}-7d9f8c6b5-x2x4q`
	return JSON.stringify({ ...body, ...spec.extra })
}

/** A success of a Kustomization at a commit (bare metadata keys, as current Flux sends them). */
export function kustomizationApplied(name: string, commit: string, at: number): string {
	return fluxEvent({
		name,
		at,
		metadata: { commit_status: 'update', revision: `main@sha1:${commit}` },
	})
}

export interface SendOptions {
	secret?: string
	signature?: string | null
	authorization?: string
	contentType?: string
}

/** A signed POST to /webhooks/flux (generic-hmac unless a signature or bearer is given). */
export async function fluxDelivery(body: string, options: SendOptions = {}): Promise<Request> {
	const bytes = new TextEncoder().encode(body)
	const headers: Record<string, string> = {
		'content-type': options.contentType ?? 'application/json',
		'gotk-component': 'kustomize-controller',
		'user-agent': 'Go-http-client/1.1',
	}
	const signature =
		options.signature === undefined
			? options.authorization === undefined
				? `sha256=${await hmacSha256Hex(options.secret ?? FLUX_SECRET, bytes)}`
				: null
			: options.signature
	if (signature !== null) {
		headers['x-signature'] = signature
	}
	if (options.authorization !== undefined) {
		headers.authorization = options.authorization
	}
	return new Request('https://tidegate.test/webhooks/flux', {
		method: 'POST',
		headers,
		body: bytes,
	})
}

/** Sends one event; returns the response. */
export async function sendFlux(body: string, options: SendOptions = {}): Promise<Response> {
	return exports.default.fetch(await fluxDelivery(body, options))
}

/** Sends events in order, each must be accepted (202). */
export async function sendAll(...bodies: string[]): Promise<void> {
	for (const body of bodies) {
		const res = await sendFlux(body)
		if (res.status !== 202) {
			throw new Error(`expected 202, got ${res.status}: ${await res.text()}`)
		}
	}
}

/** An admin GET. */
export async function adminGet<T>(path: string): Promise<{ status: number; body: T }> {
	const res = await exports.default.fetch(
		new Request(`https://tidegate.test${path}`, { headers: ADMIN }),
	)
	return { status: res.status, body: (await res.json()) as T }
}

/** Clears the ledger between tests. */
export async function resetLedger(): Promise<void> {
	await env.DB.batch(
		['flux_events', 'flux_objects', 'flux_failures', 'flux_revisions', 'flux_outcomes'].map((t) =>
			env.DB.prepare(`DELETE FROM ${t}`),
		),
	)
}

export { waitFor } from './wait.ts'

/**
 * Installs the test network with a stand-in for ALERT_WEBHOOK_URL (vitest.config.ts) and returns
 * the alert texts it receives, in order. Flux transitions queue alerts in every Flux test file.
 */
export function useAlertCapture(): string[] {
	const received: string[] = []
	useEdge({
		handlers: [
			// The body is read here: I/O objects cannot cross from the queue consumer into the test.
			http.post(
				(env as Env).ALERT_WEBHOOK_URL ?? 'https://alerts.test/unset',
				async ({ request }) => {
					received.push(((await request.json()) as { text: string }).text)
					return new HttpResponse(null, { status: 200 })
				},
			),
		],
	})
	return received
}
