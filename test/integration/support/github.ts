// Builds signed GitHub deliveries the way GitHub sends them (docs/outside-apis.md, GitHub: a delivery).
import { hmacSha256Hex } from '../../../src/lib/secrets.ts'

export const WEBHOOK_SECRET = 'test-github-webhook-secret-0123456789abcdef'
export const REPOSITORY = 'oceanid/gitops'

export interface DeliveryOptions {
	event?: string
	deliveryId?: string
	secret?: string
	signature?: string | null
	contentType?: string
	headers?: Record<string, string>
}

/** A POST to /webhooks/github with a body signed over its exact bytes. */
export async function githubDelivery(
	body: string | Uint8Array,
	options: DeliveryOptions = {},
): Promise<Request> {
	const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body
	const signature =
		options.signature === undefined
			? `sha256=${await hmacSha256Hex(options.secret ?? WEBHOOK_SECRET, bytes)}`
			: options.signature
	const headers: Record<string, string> = {
		'content-type': options.contentType ?? 'application/json',
		'x-github-event': options.event ?? 'push',
		'x-github-delivery': options.deliveryId ?? crypto.randomUUID(),
		'x-github-hook-id': '4242',
		'user-agent': 'GitHub-Hookshot/044aadd',
		...options.headers,
	}
	if (signature !== null) {
		headers['x-hub-signature-256'] = signature
	}
	return new Request('https://tidegate.test/webhooks/github', {
		method: 'POST',
		headers,
		body: bytes,
	})
}

/**
 * A delivery whose body streams from `body` with no Content-Length (chunked), signed as if it were
 * `signedAs`: for caps and deadlines, which act before the signature is checked.
 */
export async function streamedDelivery(
	body: ReadableStream<Uint8Array>,
	signedAs = '{}',
): Promise<Request> {
	const signed = await githubDelivery(signedAs)
	const headers = new Headers(signed.headers)
	headers.delete('content-length')
	return new Request(signed.url, {
		method: 'POST',
		headers,
		body,
		duplex: 'half',
	} as RequestInit)
}

let sends = 0

/**
 * A push payload with the fields GitHub sends (trimmed to what matters, plus some noise). Like
 * GitHub's, no two are the same bytes (here through `sender.id`): the Worker takes one body seen
 * under two delivery ids for a replay. Pass the same string twice to replay on purpose.
 */
export function pushPayload(overrides: Record<string, unknown> = {}): string {
	const after = (overrides.after as string | undefined) ?? 'b'.repeat(40)
	return JSON.stringify({
		ref: 'refs/heads/main',
		before: 'a'.repeat(40),
		after,
		created: false,
		deleted: false,
		forced: false,
		compare: 'https://github.com/oceanid/gitops/compare/a...b',
		repository: { id: 1, full_name: REPOSITORY, name: 'gitops', owner: { login: 'oceanid' } },
		pusher: { name: 'marie', email: 'marie@example.com' },
		sender: { login: 'marie', id: 1_000_000 + ++sends, type: 'User' },
		commits: [
			{
				id: after,
				message: 'Route Label Studio',
				timestamp: '2026-11-26T10:00:00Z',
				added: [],
				removed: [],
				modified: ['tidegate.yaml'],
			},
		],
		head_commit: {
			id: after,
			message: 'Route Label Studio',
			timestamp: '2026-11-26T10:00:00Z',
			added: [],
			removed: [],
			modified: ['tidegate.yaml'],
		},
		...overrides,
	})
}
