/**
 * @module CIDR parsing for split-tunnel entries: strict input, one canonical text form
 * (so "10.0.0.0/8" written two ways is one entry), and overlap checks.
 */
import ipaddr from 'ipaddr.js'
import { err, ok, type Result } from '../../lib/result.ts'

/** A canonical network: host bits zero, IPv4 dotted quad or RFC 5952 IPv6. */
export interface Cidr {
	family: 4 | 6
	/** Canonical `address/prefix`. */
	text: string
	address: ipaddr.IPv4 | ipaddr.IPv6
	prefix: number
}

/**
 * Parsed CIDRs by input text. Validation, normalisation and every plan parse the same few hundred
 * texts again and again, and ipaddr.js parsing was a fifth of planning a 100-entry list. Results
 * are immutable values; the memo is dropped whole when it grows past its bound.
 */
const parsed = new Map<string, Result<Cidr, string>>()
const MAX_MEMO = 10_000

/** Parses `a.b.c.d/n`, an IPv6 CIDR, or a bare address (taken as /32 or /128). */
export function parseCidr(input: string): Result<Cidr, string> {
	let result = parsed.get(input)
	if (result === undefined) {
		if (parsed.size >= MAX_MEMO) {
			parsed.clear()
		}
		result = parseCidrUncached(input)
		parsed.set(input, result)
	}
	return result
}

function parseCidrUncached(input: string): Result<Cidr, string> {
	if (input.trim() !== input || input === '') {
		return err(`"${input}" is not a CIDR (no spaces allowed)`)
	}
	if (input.includes('%')) {
		return err(`"${input}": zone ids (%eth0) are not allowed in a CIDR`)
	}
	const slash = input.indexOf('/')
	const addressText = slash === -1 ? input : input.slice(0, slash)
	const prefixText = slash === -1 ? undefined : input.slice(slash + 1)
	let address: ipaddr.IPv4 | ipaddr.IPv6
	if (ipaddr.IPv4.isValidFourPartDecimal(addressText)) {
		address = ipaddr.IPv4.parse(addressText)
	} else if (ipaddr.IPv6.isValid(addressText) && addressText.includes(':')) {
		address = ipaddr.IPv6.parse(addressText)
	} else {
		return err(`"${input}" is not a valid IPv4 or IPv6 CIDR`)
	}
	if (address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress()) {
		return err(
			`"${input}" is an IPv4-mapped IPv6 address; write it as IPv4 (${address.toIPv4Address().toString()})`,
		)
	}
	const family = address.kind() === 'ipv4' ? 4 : 6
	const maxPrefix = family === 4 ? 32 : 128
	if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) {
		return err(`"${input}" has an invalid prefix length`)
	}
	const prefix = prefixText === undefined ? maxPrefix : Number(prefixText)
	if (prefix > maxPrefix) {
		return err(`"${input}": prefix length must be at most ${maxPrefix}`)
	}
	if (prefix === 0) {
		return err(`"${input}" covers every address; a /0 would send all traffic through WARP`)
	}
	const network = networkOf(address, prefix)
	const canonical = format(network)
	if (canonical !== format(address)) {
		return err(`"${input}" has host bits set; did you mean ${canonical}/${prefix}?`)
	}
	return ok({ family, text: `${canonical}/${prefix}`, address: network, prefix })
}

/** True when `outer` contains every address of `inner` (equal networks included). */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
	return (
		outer.family === inner.family &&
		outer.prefix <= inner.prefix &&
		inner.address.match(outer.address, outer.prefix)
	)
}

function networkOf(address: ipaddr.IPv4 | ipaddr.IPv6, prefix: number): ipaddr.IPv4 | ipaddr.IPv6 {
	const bytes = address.toByteArray()
	for (let bit = prefix; bit < bytes.length * 8; bit++) {
		const index = Math.floor(bit / 8)
		bytes[index] = (bytes[index] ?? 0) & ~(0x80 >> (bit % 8))
	}
	return ipaddr.fromByteArray(bytes)
}

function format(address: ipaddr.IPv4 | ipaddr.IPv6): string {
	return address instanceof ipaddr.IPv6 ? address.toRFC5952String() : address.toString()
}

/** A binary trie node: the networks whose prefix ends here, and how many end at or below it. */
interface TrieNode<T> {
	children: [TrieNode<T> | undefined, TrieNode<T> | undefined]
	here: { cidr: Cidr; value: T }[]
	count: number
}

/**
 * Networks indexed by their prefix bits, so the ones that contain or lie inside a network are
 * found by walking its prefix (at most 32 or 128 steps) instead of comparing it with every other:
 * overlap checks over a list of n entries cost n × prefix, not n².
 */
export interface CidrTrie<T> {
	add(cidr: Cidr, value: T): void
	/** Every network that contains `cidr` or equals it. */
	containing(cidr: Cidr): { cidr: Cidr; value: T }[]
	/** Every network that contains `cidr`, equals it, or lies inside it. */
	overlapping(cidr: Cidr): { cidr: Cidr; value: T }[]
}

/** An empty CidrTrie (IPv4 and IPv6 apart). */
export function cidrTrie<T>(): CidrTrie<T> {
	const node = (): TrieNode<T> => ({ children: [undefined, undefined], here: [], count: 0 })
	const roots = { 4: node(), 6: node() }
	const bit = (bytes: number[], i: number) => ((bytes[i >> 3] ?? 0) >> (7 - (i & 7))) & 1
	// The nodes along `cidr`'s prefix, root first; shorter when the trie holds no deeper node.
	const path = (cidr: Cidr): TrieNode<T>[] => {
		const bytes = cidr.address.toByteArray()
		const nodes = [roots[cidr.family]]
		for (let depth = 0; depth < cidr.prefix; depth++) {
			const next = nodes[depth]?.children[bit(bytes, depth)]
			if (!next) {
				break
			}
			nodes.push(next)
		}
		return nodes
	}
	const below = (from: TrieNode<T>, out: { cidr: Cidr; value: T }[]) => {
		for (const child of from.children) {
			if (child && child.count > 0) {
				out.push(...child.here)
				below(child, out)
			}
		}
	}
	return {
		add(cidr, value) {
			const bytes = cidr.address.toByteArray()
			let at = roots[cidr.family]
			at.count++
			for (let depth = 0; depth < cidr.prefix; depth++) {
				const b = bit(bytes, depth)
				at.children[b] ??= node()
				at = at.children[b] as TrieNode<T>
				at.count++
			}
			at.here.push({ cidr, value })
		},
		containing(cidr) {
			return path(cidr).flatMap((n) => n.here)
		},
		overlapping(cidr) {
			const nodes = path(cidr)
			const out = nodes.flatMap((n) => n.here)
			const last = nodes[nodes.length - 1]
			if (last && nodes.length === cidr.prefix + 1) {
				below(last, out)
			}
			return out
		},
	}
}
