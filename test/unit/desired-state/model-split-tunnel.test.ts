/**
 * The split-tunnel include list as the operator meets it: CIDRs are canonical and never overlap,
 * and a description still fits Cloudflare's 100 characters once the ` - <owner>` suffix is added.
 */
import { describe, expect, it } from 'vitest'
import { diagnosticsOf, includeDoc, validState } from './support.ts'

/** One include entry (two lines) with the given address. */
const entry = (address: string, description = 'Net'): string[] => [
	`    - address: ${JSON.stringify(address)}`,
	`      description: ${description}`,
]

interface Case {
	name: string
	yaml: string
	expected: string[]
}

describe('CIDRs that are refused', () => {
	const cases: Case[] = [
		{
			name: 'an octet over 255',
			yaml: includeDoc(...entry('10.0.0.300/8')),
			expected: [
				'6:16 splitTunnel.include[0].address "10.0.0.300/8" is not a valid IPv4 or IPv6 CIDR',
			],
		},
		{
			name: 'a leading zero in an octet (octal in some parsers)',
			yaml: includeDoc(...entry('010.0.0.0/8')),
			expected: [
				'6:16 splitTunnel.include[0].address "010.0.0.0/8" is not a valid IPv4 or IPv6 CIDR',
			],
		},
		{
			name: 'a prefix over 32',
			yaml: includeDoc(...entry('10.0.0.0/33')),
			expected: [
				'6:16 splitTunnel.include[0].address "10.0.0.0/33": prefix length must be at most 32',
			],
		},
		{
			name: 'a prefix over 128',
			yaml: includeDoc(...entry('fd00::/129')),
			expected: [
				'6:16 splitTunnel.include[0].address "fd00::/129": prefix length must be at most 128',
			],
		},
		{
			name: 'an empty prefix',
			yaml: includeDoc(...entry('10.0.0.0/')),
			expected: ['6:16 splitTunnel.include[0].address "10.0.0.0/" has an invalid prefix length'],
		},
		{
			name: 'a hostname in address',
			yaml: includeDoc(...entry('db.example.com')),
			expected: [
				'6:16 splitTunnel.include[0].address "db.example.com" is not a valid IPv4 or IPv6 CIDR',
			],
		},
		{
			name: '/0 in IPv4',
			yaml: includeDoc(...entry('0.0.0.0/0')),
			expected: [
				'6:16 splitTunnel.include[0].address "0.0.0.0/0" covers every address; a /0 would send all traffic through WARP',
			],
		},
		{
			name: '/0 in IPv6',
			yaml: includeDoc(...entry('::/0')),
			expected: [
				'6:16 splitTunnel.include[0].address "::/0" covers every address; a /0 would send all traffic through WARP',
			],
		},
		{
			name: 'host bits set (IPv4)',
			yaml: includeDoc(...entry('10.0.0.1/8')),
			expected: [
				'6:16 splitTunnel.include[0].address "10.0.0.1/8" has host bits set; did you mean 10.0.0.0/8?',
			],
		},
		{
			name: 'host bits set (IPv6)',
			yaml: includeDoc(...entry('2001:db8::1/64')),
			expected: [
				'6:16 splitTunnel.include[0].address "2001:db8::1/64" has host bits set; did you mean 2001:db8::/64?',
			],
		},
		{
			name: 'an IPv4-mapped IPv6 address (::ffff:10.0.0.1)',
			yaml: includeDoc(...entry('::ffff:10.0.0.1')),
			expected: [
				'6:16 splitTunnel.include[0].address "::ffff:10.0.0.1" is an IPv4-mapped IPv6 address; write it as IPv4 (10.0.0.1)',
			],
		},
		{
			name: 'a zone id (fe80::1%eth0)',
			yaml: includeDoc(...entry('fe80::1%eth0')),
			expected: [
				'6:16 splitTunnel.include[0].address "fe80::1%eth0": zone ids (%eth0) are not allowed in a CIDR',
			],
		},
		{
			name: 'surrounding spaces (inside quotes)',
			yaml: includeDoc(...entry(' 10.0.0.0/8')),
			expected: [
				'6:16 splitTunnel.include[0].address " 10.0.0.0/8" is not a CIDR (no spaces allowed)',
			],
		},
	]
	it.each(cases)('$name', ({ yaml, expected }) => {
		expect(diagnosticsOf(yaml)).toEqual(expected)
	})
})

describe('CIDRs are sent in one canonical form', () => {
	const cases: { written: string; sent: string }[] = [
		{ written: '10.42.0.0/16', sent: '10.42.0.0/16' },
		{ written: '10.0.0.7', sent: '10.0.0.7/32' },
		{ written: '10.0.0.0/08', sent: '10.0.0.0/8' },
		{ written: '2001:db8::/32', sent: '2001:db8::/32' },
		{ written: '2001:0db8:0000:0000:0000:0000:0000:0000/32', sent: '2001:db8::/32' },
		{ written: '2001:DB8::/32', sent: '2001:db8::/32' },
		{ written: 'FD00:0:0:0:0:0:0:1', sent: 'fd00::1/128' },
		{ written: '2001:db8:0:0:1:0:0:1/128', sent: '2001:db8::1:0:0:1/128' },
		{ written: 'fe80::/10', sent: 'fe80::/10' },
	]
	it.each(cases)('$written → $sent', ({ written, sent }) => {
		const { state } = validState(includeDoc(...entry(written)))
		expect(state.splitTunnels[0]?.entries[0]?.address).toBe(sent)
	})
})

describe('duplicate and overlapping CIDRs', () => {
	const cases: Case[] = [
		{
			name: 'the same CIDR twice',
			yaml: includeDoc(...entry('10.42.0.0/16'), ...entry('10.42.0.0/16')),
			expected: [
				'8:16 splitTunnel.include[1].address duplicate: 10.42.0.0/16 is already include[0]',
			],
		},
		{
			name: 'the same IPv6 network, compressed and expanded',
			yaml: includeDoc(
				...entry('2001:db8::/32'),
				...entry('2001:0DB8:0000:0000:0000:0000:0000:0000/32'),
			),
			expected: [
				'8:16 splitTunnel.include[1].address duplicate: 2001:db8::/32 is already include[0]',
			],
		},
		{
			name: 'the same host, bare and as /32',
			yaml: includeDoc(...entry('10.0.0.7'), ...entry('10.0.0.7/32')),
			expected: [
				'8:16 splitTunnel.include[1].address duplicate: 10.0.0.7/32 is already include[0]',
			],
		},
		{
			name: 'a network inside an earlier one',
			yaml: includeDoc(...entry('10.0.0.0/8'), ...entry('10.1.0.0/16')),
			expected: [
				'8:16 splitTunnel.include[1].address 10.1.0.0/16 lies inside include[0] (10.0.0.0/8); keep one of them',
			],
		},
		{
			name: 'a network containing an earlier one',
			yaml: includeDoc(...entry('192.168.2.0/24'), ...entry('192.168.0.0/16')),
			expected: [
				'8:16 splitTunnel.include[1].address 192.168.0.0/16 contains include[0] (192.168.2.0/24); keep one of them',
			],
		},
		{
			name: 'an IPv6 network inside an earlier one',
			yaml: includeDoc(...entry('fd00::/8'), ...entry('fd12:3456::/32')),
			expected: [
				'8:16 splitTunnel.include[1].address fd12:3456::/32 lies inside include[0] (fd00::/8); keep one of them',
			],
		},
		{
			name: 'one network overlapping two earlier ones (each reported)',
			yaml: includeDoc(...entry('10.1.0.0/16'), ...entry('10.2.0.0/16'), ...entry('10.0.0.0/8')),
			expected: [
				'10:16 splitTunnel.include[2].address 10.0.0.0/8 contains include[0] (10.1.0.0/16); keep one of them',
				'10:16 splitTunnel.include[2].address 10.0.0.0/8 contains include[1] (10.2.0.0/16); keep one of them',
			],
		},
		{
			name: 'the same host entry twice, in two cases',
			yaml: includeDoc(
				'    - host: db.example.com',
				'      description: DB',
				'    - host: DB.Example.com',
				'      description: DB again',
			),
			expected: [
				'8:13 splitTunnel.include[1].host duplicate: db.example.com is already include[0]',
			],
		},
	]
	it.each(cases)('refuses $name', ({ yaml, expected }) => {
		expect(diagnosticsOf(yaml)).toEqual(expected)
	})

	it('allows adjacent networks and the same numbers in IPv4 and IPv6', () => {
		const yaml = includeDoc(
			...entry('10.42.0.0/16'),
			...entry('10.43.0.0/16'),
			...entry('::a2a:0/112'),
		)
		expect(diagnosticsOf(yaml)).toEqual([])
	})
})

describe('include entries', () => {
	it('carry the ownership suffix and protected flag as sent', () => {
		const { state } = validState(
			includeDoc(
				...entry('10.42.0.0/16', 'K8s Pod Network'),
				...entry('10.43.0.0/16', 'K8s Service Network'),
				'      protected: true',
				'    - host: "*.internal.example.com"',
				'      description: Internal',
			),
		)
		const flags = { adopt: false, tunnelRoute: true }
		expect(state.splitTunnels).toEqual([
			{
				accountId: '0123456789abcdef0123456789abcdef',
				policy: 'default',
				mode: 'include',
				at: ['splitTunnel'],
				entries: [
					{
						address: '10.42.0.0/16',
						description: 'K8s Pod Network - oceanid',
						protected: false,
						...flags,
					},
					{
						address: '10.43.0.0/16',
						description: 'K8s Service Network - oceanid',
						protected: true,
						...flags,
					},
					{
						host: '*.internal.example.com',
						description: 'Internal - oceanid',
						protected: false,
						...flags,
					},
				],
			},
		])
	})

	// owner "oceanid" adds " - oceanid", 10 characters.
	it('accept a description of exactly 100 characters with the suffix', () => {
		const { state } = validState(includeDoc(...entry('10.0.0.0/8', 'd'.repeat(90))))
		expect(state.splitTunnels[0]?.entries[0]?.description).toHaveLength(100)
	})

	it('refuse a description of 101 characters with the suffix', () => {
		expect(diagnosticsOf(includeDoc(...entry('10.0.0.0/8', 'd'.repeat(91))))).toEqual([
			'7:20 splitTunnel.include[0].description description is 101 characters once the ownership suffix " - oceanid" is added; Cloudflare allows 100 (shorten it by 1)',
		])
	})

	const shapes: Case[] = [
		{
			name: 'both address and host',
			yaml: includeDoc(
				'    - address: 10.0.0.0/8',
				'      host: db.example.com',
				'      description: Both',
			),
			expected: [
				'6:7 splitTunnel.include[0] an entry needs exactly one of address (a CIDR) or host (a domain)',
			],
		},
		{
			name: 'neither address nor host',
			yaml: includeDoc('    - description: Nothing'),
			expected: [
				'6:7 splitTunnel.include[0] an entry needs exactly one of address (a CIDR) or host (a domain)',
			],
		},
		{
			name: 'no description',
			yaml: includeDoc('    - address: 10.0.0.0/8'),
			expected: ['6:7 splitTunnel.include[0].description is required (a string)'],
		},
		{
			name: 'an empty include list',
			yaml: includeDoc('    []'),
			expected: ['5:3 splitTunnel.include must list at least one entry'],
		},
		{
			name: 'a policy that is neither "default" nor a UUID',
			yaml: includeDoc(...entry('10.0.0.0/8')).replace(
				'  include:',
				'  policy: laptops\n  include:',
			),
			expected: [
				'5:11 splitTunnel.policy must be "default" or the id (a lowercase UUID) of a custom device-profile policy',
			],
		},
	]
	it.each(shapes)('refuse $name', ({ yaml, expected }) => {
		expect(diagnosticsOf(yaml)).toEqual(expected)
	})
})
