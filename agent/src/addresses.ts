/**
 * @module Which addresses the agent refuses to probe. Anyone who can push `tidegate.yaml` chooses
 * the targets, so without this the agent would connect, from inside the cluster, to the node's
 * cloud metadata service (instance credentials) and other link-local services for them. Refused:
 * link-local (169.254.0.0/16, fe80::/10, which hold AWS, GCP, Azure, DigitalOcean, OpenStack,
 * Oracle and Tencent metadata and ECS/EKS credential endpoints) and the well-known metadata
 * addresses outside it (below), also when written as IPv4-mapped or NAT64 IPv6. The check runs on
 * the *resolved* addresses, which are then the ones connected to, so a name pointed at
 * 169.254.169.254 is caught too. Only the cluster operator can lift it, for given ranges, with
 * AGENT_ALLOW_ADDRESSES: a commit cannot.
 */
import ipaddr from 'ipaddr.js'

type Address = ipaddr.IPv4 | ipaddr.IPv6
/** An address range: network address and prefix length. */
export type Range = [Address, number]

/** Cloud metadata and platform addresses outside the link-local ranges. */
export const METADATA_ADDRESSES: readonly { cidr: string; what: string }[] = [
	{ cidr: 'fd00:ec2::254/128', what: 'the AWS instance metadata service (IPv6)' },
	{ cidr: 'fd20:ce::254/128', what: 'the Google Cloud metadata server (IPv6)' },
	{ cidr: '100.100.100.200/32', what: 'the Alibaba Cloud metadata service' },
	{ cidr: '168.63.129.16/32', what: 'the Azure WireServer' },
	{ cidr: '192.0.0.192/32', what: 'the Oracle Cloud Classic metadata service' },
]

const METADATA: readonly { range: Range; what: string }[] = METADATA_ADDRESSES.map((m) => ({
	range: ipaddr.parseCIDR(m.cidr),
	what: m.what,
}))

/** Parses `10.0.0.0/8`, `169.254.169.254` or `fe80::1/64`; undefined when it is neither. */
export function parseRange(text: string): Range | undefined {
	const trimmed = text.trim()
	try {
		if (trimmed.includes('/')) {
			const [address, bits] = ipaddr.parseCIDR(trimmed)
			return [
				normalise(address),
				address.kind() === 'ipv6' && isEmbedding(address) ? bits - 96 : bits,
			]
		}
		const address = normalise(ipaddr.parse(trimmed))
		return [address, address.kind() === 'ipv4' ? 32 : 128]
	} catch {
		return undefined
	}
}

function isEmbedding(address: Address): boolean {
	return (
		address.kind() === 'ipv6' &&
		((address as ipaddr.IPv6).isIPv4MappedAddress() || address.range() === 'rfc6052')
	)
}

/** The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d) or NAT64 (64:ff9b::a.b.c.d) one. */
function normalise(address: Address): Address {
	if (address.kind() === 'ipv6' && isEmbedding(address)) {
		return ipaddr.fromByteArray(address.toByteArray().slice(12))
	}
	return address
}

/** Decides, per resolved address, whether the agent may connect to it. */
export interface AddressPolicy {
	/** Why `address` is refused, or null when it may be probed. */
	refusal(address: string): string | null
}

/** The policy: refuse link-local and metadata addresses unless one of `allowed` holds them. */
export function addressPolicy(allowed: readonly Range[] = []): AddressPolicy {
	return {
		refusal(text) {
			let address: Address
			try {
				address = normalise(ipaddr.parse(text))
			} catch {
				return `${text} is not an IP address`
			}
			if (allowed.some((range) => range[0].kind() === address.kind() && address.match(range))) {
				return null
			}
			if (address.range() === 'linkLocal') {
				return `${text} is link-local (where cloud metadata services live)`
			}
			const metadata = METADATA.find(
				(m) => m.range[0].kind() === address.kind() && address.match(m.range),
			)
			return metadata ? `${text} is ${metadata.what}` : null
		},
	}
}
