/**
 * @module Public hostnames of tunnel ingress rules, normalised the way cloudflared
 * compares them (plain string compare, so lowercase ASCII; IDNs as punycode).
 */
import { err, ok, type Result } from '../../lib/result.ts'

/** A normalised hostname; `wildcard` means it was written `*.<base>`. */
export interface Hostname {
	/** Lowercase ASCII, punycode for IDNs, no trailing dot; keeps the leading `*.` of a wildcard. */
	name: string
	wildcard: boolean
}

const MAX_NAME = 253
const MAX_LABEL = 63
// Letters of any script, digits, combining marks, dots and hyphens; everything else
// (ports, paths, userinfo, percent-escapes, underscores) is refused before URL parsing can reinterpret it.
const ALLOWED_INPUT = /^[\p{L}\p{N}\p{M}.*-]+$/u
const ASCII_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/

/** Validates and normalises one ingress hostname. Bare `*` is the caller's business (catch-all). */
export function parseHostname(input: string): Result<Hostname, string> {
	if (input === '') {
		return err('hostname is empty')
	}
	if (!input.isWellFormed()) {
		return err('hostname contains invalid Unicode (a lone surrogate)')
	}
	if (input.includes('/')) {
		return err(
			`hostname cannot contain a scheme or path ("${input}"); use the path field for paths`,
		)
	}
	if (input.startsWith('[') || input.split(':').length > 2) {
		return err(`"${input}" is not a public DNS name (a tunnel hostname needs a domain, not an IP)`)
	}
	if (input.includes(':')) {
		return err(`hostname cannot contain a port ("${input}"); put the port in the service URL`)
	}
	if (!ALLOWED_INPUT.test(input)) {
		return err(`"${input}" is not a valid hostname (letters, digits, hyphens and dots only)`)
	}
	const stars = input.split('*').length - 1
	const wildcard = stars === 1 && input.startsWith('*.')
	if (stars > 1 || (stars === 1 && !wildcard)) {
		return err(
			`hostname "${input}": at most one wildcard "*", and only as the leftmost label, e.g. "*.example.com"`,
		)
	}
	const base = (wildcard ? input.slice(2) : input).replace(/\.$/, '')
	let ascii: string
	try {
		// WHATWG URL applies UTS #46 (lowercasing and punycode), the same mapping browsers use for the Host header.
		ascii = new URL(`http://${base}`).hostname
	} catch {
		return err(`"${input}" is not a valid hostname`)
	}
	const name = wildcard ? `*.${ascii}` : ascii
	// The limits are DNS's, on the name as sent: punycode, and the wildcard label counts.
	if (name.length > MAX_NAME) {
		return err(
			`hostname "${input}" is ${name.length} characters long as ASCII (punycode); DNS allows at most ${MAX_NAME}`,
		)
	}
	const labels = ascii.split('.')
	for (const label of labels) {
		if (label.length > MAX_LABEL) {
			return err(
				`hostname "${input}" has a label of ${label.length} characters as ASCII (punycode); DNS allows at most ${MAX_LABEL} per label`,
			)
		}
		if (!ASCII_LABEL.test(label)) {
			return err(`"${input}" is not a valid hostname`)
		}
	}
	if (labels.length < 2 || !/[a-z]/.test(labels[labels.length - 1] ?? '')) {
		return err(`"${input}" is not a public DNS name (a tunnel hostname needs a domain, not an IP)`)
	}
	return ok({ name, wildcard })
}

/** True when `outer` matches every host that `inner` matches (`undefined` and `*` match all). */
export function hostnameCovers(outer: string | undefined, inner: string | undefined): boolean {
	if (outer === undefined || outer === '*') {
		return true
	}
	if (inner === undefined || inner === '*') {
		return false
	}
	if (outer === inner) {
		return true
	}
	// cloudflared matches `*.example.com` against any name ending in `.example.com`, at any depth.
	return outer.startsWith('*.') && inner.endsWith(outer.slice(1))
}
