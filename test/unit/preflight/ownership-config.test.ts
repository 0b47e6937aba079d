/**
 * The `ownership` section of tidegate.yaml: defaults, and every refusal located at the entry it is
 * about (`line:col path message`, as `tidegate validate` prints it).
 */
import { describe, expect, it } from 'vitest'
import { diagnosticsOf, validState } from '../desired-state/support.ts'

/** A document whose `ownership` section is `lines`; its first line is line 4 of the file. */
const ownershipDoc = (...lines: string[]) =>
	['version: 1', 'owner: oceanid', 'ownership:', ...lines, ''].join('\n')

describe('a valid ownership section', () => {
	it('the documented example (docs/preflight.md) loads, with defaults for the optional lists', () => {
		const { state } = validState(
			ownershipDoc(
				'  fluxPaths: ["clusters/tethys/**"]',
				'  reserved:',
				'    - owner: pulumi',
				'      kinds: [CustomResourceDefinition, ClusterRole, ClusterRoleBinding]',
				'    - owner: pulumi',
				'      namespaces: [flux-system, pulumi-system, cert-manager, cloudflared]',
			),
		)
		expect(state.ownership).toEqual({
			fluxPaths: ['clusters/tethys/**'],
			excludePaths: [],
			reserved: [
				{
					owner: 'pulumi',
					kinds: ['CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding'],
				},
				{
					owner: 'pulumi',
					namespaces: ['flux-system', 'pulumi-system', 'cert-manager', 'cloudflared'],
				},
			],
			valuesRules: [],
		})
	})

	it('takes every optional field: excludePaths, names, group-qualified kinds, reasons, values rules', () => {
		const { state } = validState(
			ownershipDoc(
				'  fluxPaths: ["clusters/tethys/**", clusters/shared]',
				'  excludePaths: ["clusters/tethys/flux-system/**"]',
				'  reserved:',
				'    - owner: platform team',
				'      kinds: [Secret, Certificate.cert-manager.io]',
				'      namespaces: ["team-*"]',
				'      names: ["cloudflared-*", "system:*"]',
				'      reason: issued by the platform stack',
				'  valuesRules:',
				'    - forbid: "**.image.tag"',
				'      use: global.image.tag',
				'      charts: [labelfish, "label-*"]',
				'      releases: [labelfish]',
				'      reason: image tag overrides go under global.image.tag',
			),
		)
		expect(state.ownership?.valuesRules[0]).toEqual({
			forbid: '**.image.tag',
			use: 'global.image.tag',
			charts: ['labelfish', 'label-*'],
			releases: ['labelfish'],
			reason: 'image tag overrides go under global.image.tag',
		})
	})
})

describe('refusals, each located', () => {
	it('structural: required fluxPaths, kinds as manifests write them, namespace names, unknown keys', () => {
		expect(
			diagnosticsOf(
				ownershipDoc(
					'  fluxPaths: []',
					'  reserved:',
					'    - owner: pulumi',
					'      kinds: [clusterrole]',
					'      namespaces: [Cert-Manager]',
					'    - owner: pulumi',
					'      kind: [ClusterRole]',
					'      namespace: [x]',
					'  valuesRules:',
					'    - use: global.image.tag',
				),
			),
		).toEqual([
			'4:3 ownership.fluxPaths must not be empty',
			'7:15 ownership.reserved[0].kinds[0] must be a kind as manifests write it (ClusterRole), optionally with its API group (Certificate.cert-manager.io)',
			'8:20 ownership.reserved[0].namespaces[0] must be a namespace name (lowercase letters, digits, hyphens; * and ? as wildcards)',
			'10:7 ownership.reserved[1].kind unknown key "kind"; did you mean kinds?',
			'11:7 ownership.reserved[1].namespace unknown key "namespace"; did you mean namespaces?',
			'13:7 ownership.valuesRules[0].forbid is required (a string)',
		])
	})

	it('rules: path globs, empty entries, name patterns, values paths', () => {
		expect(
			diagnosticsOf(
				ownershipDoc(
					'  fluxPaths: ["/clusters/tethys/**", "clusters/../x", "clusters/a**/b"]',
					'  excludePaths: ["a//b"]',
					'  reserved:',
					'    - owner: pulumi',
					'    - owner: vault',
					'      names: ["a b"]',
					'  valuesRules:',
					'    - forbid: "a..b"',
					'      use: "global.*.tag"',
				),
			),
		).toEqual([
			'4:15 ownership.fluxPaths[0] path "/clusters/tethys/**" starts with "/"; write it relative to the repository root: "clusters/tethys/**"',
			'4:38 ownership.fluxPaths[1] path "clusters/../x" contains ".."; write it relative to the repository root without "." or ".." segments',
			'4:55 ownership.fluxPaths[2] path "clusters/a**/b": "**" must be a whole segment ("a/**/b"); use "*" within a name',
			'5:18 ownership.excludePaths[0] path "a//b" has an empty segment ("//")',
			'7:7 ownership.reserved[0] reserves nothing: give at least one of kinds, namespaces, names (an entry reserves the resources that match all it gives)',
			'9:15 ownership.reserved[1].names[0] pattern "a b" contains whitespace; Kubernetes names never do',
			'11:15 ownership.valuesRules[0].forbid "a..b" has an empty key; separate keys with single dots, e.g. "global.image.tag"',
			'12:12 ownership.valuesRules[0].use "global.*.tag" must be a plain path without wildcards (it names the one place the value belongs)',
		])
	})

	it('a broken tunnel section does not hide the ownership rule errors', () => {
		const text = [
			'version: 1',
			'owner: oceanid',
			'tunnel:',
			'  colour: blue',
			'ownership:',
			'  fluxPaths: ["/abs"]',
			'',
		].join('\n')
		expect(diagnosticsOf(text)).toEqual([
			'3:1 tunnel.accountId is required (a string)',
			'3:1 tunnel.tunnelId is required (a string)',
			'4:3 tunnel.colour unknown key "colour"',
			'6:15 ownership.fluxPaths[0] path "/abs" starts with "/"; write it relative to the repository root: "abs"',
		])
	})
})
