/**
 * @module HMAC-SHA256 over raw bytes, verified in constant time by WebCrypto (`crypto.subtle.verify`).
 * Signatures are parsed strictly: exactly 64 lowercase hex digits, nothing around them.
 */

const HEX64 = /^[0-9a-f]{64}$/

/** Parses a lowercase 64-digit hex string; anything else is `undefined`, never an exception. */
export function parseHex256(hex: string): Uint8Array | undefined {
	if (!HEX64.test(hex)) {
		return undefined
	}
	const bytes = new Uint8Array(32)
	for (let i = 0; i < 32; i++) {
		bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)
	}
	return bytes
}

/** Lowercase hex of bytes. */
export function toHex(bytes: ArrayBuffer | Uint8Array): string {
	return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

/**
 * Imported keys, kept for the isolate's life: importing costs as much as verifying a 7 KB body,
 * and the secrets are the few the Worker was configured with. Bounded all the same.
 */
const keys = new Map<string, CryptoKey>()
const MAX_CACHED_KEYS = 16

async function key(secret: string, usage: 'sign' | 'verify'): Promise<CryptoKey> {
	const id = `${usage}:${secret}`
	const cached = keys.get(id)
	if (cached !== undefined) {
		return cached
	}
	const imported = await crypto.subtle.importKey(
		'raw',
		new TextEncoder().encode(secret),
		{ name: 'HMAC', hash: 'SHA-256' },
		false,
		[usage],
	)
	if (keys.size >= MAX_CACHED_KEYS) {
		keys.clear()
	}
	keys.set(id, imported)
	return imported
}

/** `hex(HMAC-SHA256(secret, body))`. */
export async function hmacSha256Hex(secret: string, body: Uint8Array | string): Promise<string> {
	const data = typeof body === 'string' ? new TextEncoder().encode(body) : body
	return toHex(await crypto.subtle.sign('HMAC', await key(secret, 'sign'), data))
}

/**
 * True when `signature` (raw 32 bytes) is the HMAC of `body` under any of `secrets`.
 * Each secret is checked with `crypto.subtle.verify`, which compares in constant time.
 */
export async function verifyHmacSha256(
	secrets: readonly string[],
	body: Uint8Array,
	signature: Uint8Array,
): Promise<boolean> {
	let valid = false
	for (const secret of secrets) {
		// Every secret is tried even after a match, so timing does not tell which one matched.
		if (await crypto.subtle.verify('HMAC', await key(secret, 'verify'), signature, body)) {
			valid = true
		}
	}
	return valid
}
