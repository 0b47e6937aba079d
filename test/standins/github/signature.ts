/** @module GitHub webhook signatures (`X-Hub-Signature-256`, legacy `X-Hub-Signature`), via WebCrypto. */
import { toHex } from './git.ts'

const encoder = new TextEncoder()

async function hmacHex(hash: 'SHA-256' | 'SHA-1', secret: string, body: string | Uint8Array) {
	const key = await crypto.subtle.importKey(
		'raw',
		encoder.encode(secret),
		{ name: 'HMAC', hash },
		false,
		['sign'],
	)
	const bytes = typeof body === 'string' ? encoder.encode(body) : body
	return toHex(await crypto.subtle.sign('HMAC', key, bytes))
}

/** `sha256=<hex HMAC-SHA256>` of the exact body bytes, the value GitHub sends as `X-Hub-Signature-256`. */
export async function signGitHubPayload(
	secret: string,
	body: string | Uint8Array,
): Promise<string> {
	return `sha256=${await hmacHex('SHA-256', secret, body)}`
}

/** `sha1=<hex HMAC-SHA1>`, the legacy `X-Hub-Signature` GitHub still sends alongside. */
export async function signGitHubPayloadSha1(
	secret: string,
	body: string | Uint8Array,
): Promise<string> {
	return `sha1=${await hmacHex('SHA-1', secret, body)}`
}
