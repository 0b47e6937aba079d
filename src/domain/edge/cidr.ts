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

/** Parses `a.b.c.d/n`, an IPv6 CIDR, or a bare address (taken as /32 or /128). */
export function parseCidr(input: string): Result<Cidr, string> {
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
