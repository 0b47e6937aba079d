/**
 * @module The one home of secret handling: HMAC-SHA256 signing and verification over raw bytes,
 * and comparison of presented secrets (bearer tokens, passwords) — all in constant time, and all
 * trying every configured secret (current and previous) even after a match, so the timing tells
 * neither whether nor which secret matched. WebCrypto, and node:crypto's synchronous HMAC for
 * verification (workerd with nodejs_compat, and Node: the agent imports this too).
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

const encoder = new TextEncoder()
const HEX64 = /^[0-9a-f]{64}$/

/** Parses exactly 64 lowercase hex digits; anything else is `undefined`, never an exception. */
export function parseHex256(hex: string): Uint8Array<ArrayBuffer> | undefined {
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
	return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('')
}

/**
 * Imported keys, kept for the isolate's life: importing costs as much as verifying a 7 KB body,
 * and the secrets are the few the Worker was configured with. Bounded all the same.
 */
type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>
const keys = new Map<string, HmacKey>()
const MAX_CACHED_KEYS = 16

async function hmacKey(secret: string, usage: 'sign' | 'verify'): Promise<HmacKey> {
	const id = `${usage}:${secret}`
	const cached = keys.get(id)
	if (cached !== undefined) {
		return cached
	}
	const imported = await crypto.subtle.importKey(
		'raw',
		encoder.encode(secret),
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

function bytesOf(data: Uint8Array | string): Uint8Array<ArrayBuffer> {
	return (typeof data === 'string' ? encoder.encode(data) : data) as Uint8Array<ArrayBuffer>
}

/** `hex(HMAC-SHA256(secret, data))`. */
export async function hmacSha256Hex(secret: string, data: Uint8Array | string): Promise<string> {
	return toHex(await crypto.subtle.sign('HMAC', await hmacKey(secret, 'sign'), bytesOf(data)))
}

/**
 * True when `signature` (the raw 32 bytes) is the HMAC-SHA256 of `data` under any of `secrets`,
 * compared in constant time; empty secrets never match. node:crypto's HMAC is synchronous: in Node
 * every WebCrypto call is a job on the thread pool, which made verifying a 7 KB push cost five
 * times the HMAC itself (an async API for a few microseconds of work).
 */
export async function verifyHmacSha256(
	secrets: readonly string[],
	data: Uint8Array | string,
	signature: Uint8Array,
): Promise<boolean> {
	const bytes = bytesOf(data)
	let valid = false
	for (const secret of secrets) {
		if (secret === '') {
			continue
		}
		const mac = createHmac('sha256', secret).update(bytes).digest()
		if (mac.byteLength === signature.byteLength && timingSafeEqual(mac, signature)) {
			valid = true
		}
	}
	return valid
}

/**
 * True when `given` equals any of `secrets`. Both sides are hashed first, so neither the length
 * nor a matching prefix shows in the timing; empty secrets never match.
 */
export async function matchesAnySecret(
	given: string,
	secrets: readonly string[],
): Promise<boolean> {
	const presented = await sha256(given)
	let valid = false
	for (const secret of secrets) {
		if (secret !== '' && equalBytes(presented, await sha256(secret))) {
			valid = true
		}
	}
	return valid
}

/** `hex(SHA-256(data))`: content hashes such as the Flux body's idempotency key. */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
	return toHex(await sha256(data))
}

async function sha256(data: Uint8Array | string): Promise<Uint8Array> {
	return new Uint8Array(await crypto.subtle.digest('SHA-256', bytesOf(data)))
}

/** Constant-time equality of two equal-length digests (Node has no `timingSafeEqual` in WebCrypto). */
function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
	let difference = a.length ^ b.length
	for (let i = 0; i < a.length; i++) {
		difference |= (a[i] as number) ^ (b[i] ?? 0)
	}
	return difference === 0
}
