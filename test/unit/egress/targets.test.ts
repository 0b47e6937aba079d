import { describe, expect, it } from 'vitest'
import { loadDesiredState } from '../../../src/domain/desired-state/load.ts'
import type { DesiredState } from '../../../src/domain/desired-state/model.ts'
import {
	capEdgeProbes,
	edgePlan,
	egressTargets,
	ingressTarget,
} from '../../../src/domain/egress/targets.ts'

const ACCOUNT = '0123456789abcdef0123456789abcdef'
const TUNNEL = '6ff4dfd7-2b77-4a4f-84d9-3241bea658dc'

function load(egress: string, ingress: string): DesiredState {
	const loaded = loadDesiredState(
		[
			'version: 1',
			'owner: oceanid',
			'tunnel:',
			`  accountId: ${ACCOUNT}`,
			`  tunnelId: ${TUNNEL}`,
			'  ingress:',
			ingress,
			'egress:',
			egress,
			'',
		].join('\n'),
	)
	if (!loaded.ok) {
		throw new Error(JSON.stringify(loaded.error))
	}
	return loaded.value.state
}

const INGRESS = [
	'    - hostname: label.example.com',
	'      service: http://label-studio-ls-app.apps.svc.cluster.local:8085',
	'    - hostname: label2.example.com',
	'      service: http://label-studio-ls-app.apps.svc.cluster.local:8085',
	'    - hostname: k3s.example.com',
	'      service: https://kubernetes.default.svc:443',
	'      originRequest: { noTLSVerify: true }',
	'    - hostname: ssh.example.com',
	'      service: ssh://bastion.infra.svc.cluster.local:22',
	'    - hostname: db.example.com',
	'      service: tcp://10.43.0.12:5432',
	'    - hostname: static.example.com',
	'      service: http_status:404',
	'    - hostname: hello.example.com',
	'      service: hello_world',
	'    - hostname: sock.example.com',
	'      service: unix:/run/app.sock',
].join('\n')

describe('egressTargets', () => {
	it('takes egress.targets as written, then one target per distinct ingress service', () => {
		const state = load(
			[
				'  targets:',
				'    - name: labelfish-db',
				'      host: db.example.com',
				'      port: 5432',
				'      probe: postgres',
				'  checkIngressTargets: true',
			].join('\n'),
			INGRESS,
		)
		const targets = egressTargets(state)
		expect(targets.map((t) => [t.name, t.host, t.port, t.probe, t.tls ?? false, t.source])).toEqual(
			[
				['labelfish-db', 'db.example.com', 5432, 'postgres', false, 'config'],
				[
					'ingress:http://label-studio-ls-app.apps.svc.cluster.local:8085',
					'label-studio-ls-app.apps.svc.cluster.local',
					8085,
					'http',
					false,
					'ingress',
				],
				[
					'ingress:https://kubernetes.default.svc:443',
					'kubernetes.default.svc',
					443,
					'http',
					true,
					'ingress',
				],
				[
					'ingress:ssh://bastion.infra.svc.cluster.local:22',
					'bastion.infra.svc.cluster.local',
					22,
					'tcp',
					false,
					'ingress',
				],
				['ingress:tcp://10.43.0.12:5432', '10.43.0.12', 5432, 'tcp', false, 'ingress'],
			],
		)
		// Two rules on one service are one target that serves both hostnames.
		expect(targets[1]?.hostnames).toEqual(['label.example.com', 'label2.example.com'])
		expect(targets[0]?.hostnames).toEqual([])
	})

	it('adds no ingress targets unless checkIngressTargets is true', () => {
		const state = load('  targets: []', INGRESS)
		expect(egressTargets(state)).toEqual([])
	})

	it('fills in default ports (http 80, https 443)', () => {
		expect(ingressTarget('http://web.apps.svc')).toMatchObject({ port: 80, probe: 'http' })
		expect(ingressTarget('https://web.apps.svc')).toMatchObject({ port: 443, tls: true })
	})

	it('strips IPv6 brackets for the agent, keeps them in the name', () => {
		expect(ingressTarget('http://[fd00::12]:8080')).toMatchObject({
			name: 'ingress:http://[fd00::12]:8080',
			host: 'fd00::12',
		})
	})

	it('keeps names within the protocol limit of 100 characters, unique by a hash', () => {
		const long = `http://${'a'.repeat(60)}.${'b'.repeat(60)}.svc.cluster.local:8080`
		const other = `http://${'a'.repeat(60)}.${'b'.repeat(60)}.svc.cluster.local:8081`
		const a = ingressTarget(long)?.name ?? ''
		const b = ingressTarget(other)?.name ?? ''
		expect(a.length).toBe(100)
		expect(b.length).toBe(100)
		expect(a).not.toBe(b)
	})
})

describe('edgePlan', () => {
	it('probes public names and addresses, and loopback (local runs)', () => {
		for (const host of ['db.example.com', '203.0.113.7', '2001:db8::1', '127.0.0.1', 'localhost']) {
			expect(edgePlan(host), host).toEqual({ probe: true })
		}
	})

	it('does not probe cluster or LAN names', () => {
		for (const host of [
			'postgres',
			'label-studio-ls-app.apps.svc.cluster.local',
			'kubernetes.default.svc',
			'nas.local',
			'db.internal',
		]) {
			expect(edgePlan(host), host).toEqual({
				probe: false,
				reason: 'cluster-internal name: not resolvable from the edge',
			})
		}
	})

	it('does not probe private, shared or link-local addresses', () => {
		for (const host of [
			'10.43.0.12',
			'172.16.0.1',
			'172.31.255.255',
			'192.168.2.10',
			'100.64.0.1',
			'169.254.169.254',
			'fd00::12',
			'fe80::1',
		]) {
			expect(edgePlan(host).probe, host).toBe(false)
		}
		expect(edgePlan('172.32.0.1').probe).toBe(true)
	})

	it('caps the edge probes per check, in target order', () => {
		const targets = Array.from({ length: 4 }, (_, i) => ({
			name: `t${i}`,
			host: 'db.example.com',
			port: 5432,
			probe: 'tcp' as const,
			source: 'config' as const,
			hostnames: [],
			edge: { probe: true as const },
		}))
		expect(capEdgeProbes(targets, 2).map((t) => t.edge)).toEqual([
			{ probe: true },
			{ probe: true },
			{ probe: false, reason: 'over the 2 edge probes per check' },
			{ probe: false, reason: 'over the 2 edge probes per check' },
		])
	})
})
