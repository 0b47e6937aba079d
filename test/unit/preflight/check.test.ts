/**
 * The pre-flight checker, one conflict class at a time, then the realistic fixture repositories
 * under test/fixtures/preflight (what `tidegate preflight` and the Worker see).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadDesiredState } from '../../../src/domain/desired-state/load.ts'
import type { OwnershipConfig } from '../../../src/domain/desired-state/model.ts'
import {
	checkManifests,
	countFindings,
	formatFinding,
	manifestPathFilter,
	type PreflightFinding,
} from '../../../src/domain/preflight/check.ts'

const FIXTURES = join(import.meta.dirname, '../../fixtures/preflight')

function ownership(overrides: Partial<OwnershipConfig> = {}): OwnershipConfig {
	return { fluxPaths: ['**'], excludePaths: [], reserved: [], valuesRules: [], ...overrides }
}

const PULUMI: OwnershipConfig['reserved'] = [
	{ owner: 'pulumi', kinds: ['CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding'] },
	{ owner: 'pulumi', namespaces: ['flux-system', 'cert-manager', 'cloudflared'] },
]

function check(files: Record<string, string>, config: OwnershipConfig = ownership()) {
	return checkManifests(
		Object.entries(files).map(([path, text]) => ({ path, text })),
		config,
	)
}

/** The findings as `file:line class` for compact assertions. */
const brief = (findings: PreflightFinding[]) =>
	findings.map((f) => `${f.file}:${f.line} ${f.class}`)

describe('reserved kinds', () => {
	const config = ownership({ reserved: PULUMI })

	it('finds a CRD and a ClusterRole in a multi-document file, each at its kind line', () => {
		const report = check(
			{
				'infra/rbac.yaml': `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader
  namespace: apps
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: widget-reader
`,
			},
			config,
		)
		expect(report.resources).toBe(3)
		expect(report.findings).toEqual([
			{
				class: 'reserved-kind',
				file: 'infra/rbac.yaml',
				line: 2,
				column: 7,
				resource: { kind: 'CustomResourceDefinition', name: 'widgets.example.com' },
				owner: 'pulumi',
				message:
					'CustomResourceDefinition widgets.example.com is reserved for pulumi (ownership.reserved[0]: kind CustomResourceDefinition)',
				fix: 'remove it from the Flux manifests and declare it in pulumi, which owns every CustomResourceDefinition',
			},
			expect.objectContaining({
				class: 'reserved-kind',
				line: 13,
				resource: { kind: 'ClusterRole', name: 'widget-reader' },
			}),
		])
	})

	it('matches the API group when the kind names one', () => {
		const text = `apiVersion: cert-manager.io/v1
kind: Certificate
metadata: { name: a, namespace: apps }
---
apiVersion: other.example.com/v1
kind: Certificate
metadata: { name: b, namespace: apps }
`
		const report = check(
			{ 'a.yaml': text },
			ownership({ reserved: [{ owner: 'platform', kinds: ['Certificate.cert-manager.io'] }] }),
		)
		expect(report.findings.map((f) => f.resource?.name)).toEqual(['a'])
	})

	it('adds the reason the entry gives', () => {
		const report = check(
			{
				'c.yaml':
					'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: x}\n',
			},
			ownership({
				reserved: [
					{
						owner: 'pulumi',
						kinds: ['ClusterRole'],
						reason: 'RBAC is reviewed in the platform repo',
					},
				],
			}),
		)
		expect(report.findings[0]?.message).toBe(
			'ClusterRole x is reserved for pulumi (ownership.reserved[0]: kind ClusterRole): RBAC is reviewed in the platform repo',
		)
	})
})

describe('reserved namespaces', () => {
	const config = ownership({ reserved: PULUMI })

	it('finds an object in a reserved namespace, at its metadata.namespace', () => {
		const report = check(
			{
				'apps/cm.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: webhook-config
  namespace: cert-manager
data: {}
`,
			},
			config,
		)
		expect(report.findings).toEqual([
			expect.objectContaining({
				class: 'reserved-namespace',
				line: 5,
				column: 14,
				resource: { kind: 'ConfigMap', namespace: 'cert-manager', name: 'webhook-config' },
				message:
					'ConfigMap cert-manager/webhook-config is in namespace cert-manager, reserved for pulumi (ownership.reserved[1]: namespace cert-manager)',
				fix: 'move it to a namespace Flux owns, or let pulumi manage it and remove it here',
			}),
		])
	})

	it('finds a Namespace object named like a reserved one, but not one named otherwise', () => {
		const report = check(
			{
				'ns.yaml': `apiVersion: v1
kind: Namespace
metadata:
  name: apps
---
apiVersion: v1
kind: Namespace
metadata:
  name: cloudflared
`,
			},
			config,
		)
		expect(report.findings).toEqual([
			expect.objectContaining({
				class: 'reserved-namespace',
				line: 9,
				resource: { kind: 'Namespace', name: 'cloudflared' },
				message:
					'Namespace cloudflared is reserved for pulumi (ownership.reserved[1]: namespace cloudflared)',
				fix: 'remove this Namespace from the Flux manifests; pulumi creates and owns it',
			}),
		])
	})

	it('takes the namespace from the kustomization.yaml that lists the file', () => {
		const report = check(
			{
				'tunnel/kustomization.yaml': 'namespace: cloudflared\nresources:\n  - deployment.yaml\n',
				'tunnel/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: cloudflared
spec: {}
`,
				// Not listed by the kustomization: its namespace is unknown, so nothing is claimed.
				'tunnel/other.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n',
			},
			config,
		)
		expect(report.findings).toEqual([
			expect.objectContaining({
				file: 'tunnel/deployment.yaml',
				line: 2,
				resource: { kind: 'Deployment', namespace: 'cloudflared', name: 'cloudflared' },
				message: expect.stringContaining('(set by kustomization.yaml)'),
			}),
		])
	})

	it('matches namespace patterns, and ignores a namespace written on a cluster-scoped kind', () => {
		const report = check(
			{
				'x.yaml': `apiVersion: v1
kind: Secret
metadata: { name: token, namespace: team-a }
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: { name: fast, namespace: team-a }
`,
			},
			ownership({ reserved: [{ owner: 'platform', namespaces: ['team-*'] }] }),
		)
		expect(report.findings.map((f) => f.resource)).toEqual([
			{ kind: 'Secret', namespace: 'team-a', name: 'token' },
		])
	})

	it('combines selectors with "and": Secrets in a namespace, not everything in it', () => {
		const report = check(
			{
				'x.yaml': `apiVersion: v1
kind: Secret
metadata: { name: dns, namespace: cert-manager }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: dns, namespace: cert-manager }
`,
			},
			ownership({
				reserved: [{ owner: 'vault', kinds: ['Secret'], namespaces: ['cert-manager'] }],
			}),
		)
		expect(brief(report.findings)).toEqual(['x.yaml:3 reserved-namespace'])
		expect(report.findings[0]?.message).toContain('kind Secret, namespace cert-manager')
	})
})

describe('reserved names', () => {
	it('finds a name matching a pattern, at metadata.name, with the first entry as owner', () => {
		const report = check(
			{
				'secrets.yaml': `apiVersion: v1
kind: Secret
metadata:
  name: cloudflared-token
  namespace: networking
`,
			},
			ownership({
				reserved: [
					{ owner: 'pulumi', kinds: ['Secret'], names: ['cloudflared-*'] },
					{ owner: 'vault', names: ['*-token'] },
				],
			}),
		)
		expect(report.findings).toEqual([
			expect.objectContaining({
				class: 'reserved-name',
				line: 4,
				owner: 'pulumi',
				message:
					'Secret networking/cloudflared-token is reserved for pulumi (ownership.reserved[0]: kind Secret, name "cloudflared-*")',
				fix: 'rename it, or let pulumi manage it and remove it here',
			}),
		])
	})
})

describe('target namespaces', () => {
	const config = ownership({ reserved: PULUMI })

	it("finds a HelmRelease that installs into or stores in a reserved namespace, and a Flux Kustomization's target", () => {
		const report = check(
			{
				'hr.yaml': `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: issuers
  namespace: apps
spec:
  targetNamespace: cert-manager
  storageNamespace: flux-system
  chart:
    spec:
      chart: issuers
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: tunnel
  namespace: gitops
spec:
  targetNamespace: cloudflared
  path: ./tunnel
`,
			},
			config,
		)
		expect(report.findings.map((f) => [f.line, f.class, f.message])).toEqual([
			[
				7,
				'reserved-target-namespace',
				'HelmRelease apps/issuers installs its chart into namespace cert-manager (spec.targetNamespace), reserved for pulumi (ownership.reserved[1]: namespace cert-manager)',
			],
			[
				8,
				'reserved-target-namespace',
				'HelmRelease apps/issuers stores its Helm release in namespace flux-system (spec.storageNamespace), reserved for pulumi (ownership.reserved[1]: namespace flux-system)',
			],
			[
				19,
				'reserved-target-namespace',
				'Kustomization gitops/tunnel applies its manifests into namespace cloudflared (spec.targetNamespace), reserved for pulumi (ownership.reserved[1]: namespace cloudflared)',
			],
		])
	})

	it('ignores targets reserved only for some kinds or names (what a chart renders is unknown)', () => {
		const report = check(
			{
				'hr.yaml':
					'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: x, namespace: apps}\nspec: {targetNamespace: vault}\n',
			},
			ownership({ reserved: [{ owner: 'vault', kinds: ['Secret'], namespaces: ['vault'] }] }),
		)
		expect(report.findings).toEqual([])
	})
})

describe('Helm release collisions', () => {
	const hr = (name: string, spec: string, namespace = 'apps') =>
		`apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
${spec}`

	it('finds two HelmReleases with the same spec.releaseName in one namespace, on the later one', () => {
		const report = check({
			'a/redis.yaml': hr('redis', '  chart: {spec: {chart: redis}}\n'),
			'b/cache.yaml': hr('redis-cache', '  releaseName: redis\n  chart: {spec: {chart: redis}}\n'),
		})
		expect(report.findings).toEqual([
			{
				class: 'release-collision',
				file: 'b/cache.yaml',
				line: 7,
				column: 16,
				resource: { kind: 'HelmRelease', namespace: 'apps', name: 'redis-cache' },
				owner: 'HelmRelease apps/redis',
				message:
					'HelmRelease apps/redis-cache makes Helm release "redis" stored in namespace apps, as HelmRelease apps/redis (a/redis.yaml:4) already does; the two would overwrite each other\'s release',
				fix: 'give one of them a different spec.releaseName',
			},
		])
	})

	it("composes the default release name as helm-controller does: '<targetNamespace>-<name>'", () => {
		const report = check({
			'a.yaml': hr('api', '  targetNamespace: shop\n'),
			// Explicitly the name helm-controller composes for the first one.
			'b.yaml': hr(
				'shop-api-v2',
				'  releaseName: shop-api\n  targetNamespace: shop\n',
				'flux-apps',
			),
		})
		expect(brief(report.findings)).toEqual(['b.yaml:7 release-collision'])
		expect(report.findings[0]?.message).toContain('installed into namespace shop')
	})

	it('does not confuse the same release name in different namespaces, or a base with its patch', () => {
		const report = check({
			'a.yaml': hr('redis', '  chart: {spec: {chart: redis}}\n', 'apps'),
			'b.yaml': hr('redis', '  chart: {spec: {chart: redis}}\n', 'shop'),
			// An overlay patch of the first HelmRelease: the same object, not a second release.
			'overlays/prod/redis-patch.yaml': hr('redis', '  values: {replicas: 3}\n', 'apps'),
		})
		expect(report.findings).toEqual([])
	})
})

describe('Helm ownership annotations', () => {
	const release = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: redis
  namespace: apps
spec:
  chart: {spec: {chart: redis}}
`
	const sa = (releaseName: string, releaseNamespace = 'apps', name = 'redis-master') =>
		`apiVersion: v1
kind: ServiceAccount
metadata:
  name: ${name}
  namespace: apps
  annotations:
    meta.helm.sh/release-name: ${releaseName}
    meta.helm.sh/release-namespace: ${releaseNamespace}
`

	it("finds an object named like a release's objects but annotated for another release", () => {
		const report = check({ 'hr.yaml': release, 'sa.yaml': sa('redis-legacy') })
		expect(report.findings).toEqual([
			expect.objectContaining({
				class: 'release-ownership',
				file: 'sa.yaml',
				line: 7,
				owner: 'HelmRelease apps/redis',
				message:
					'ServiceAccount apps/redis-master is annotated for Helm release "redis-legacy" (meta.helm.sh/release-name), but its name is one that release "redis" of HelmRelease apps/redis (hr.yaml:4) renders (charts name objects "<release>-…"); Helm refuses to adopt an object of another release',
				fix: 'remove this copy and let the chart render it, or set meta.helm.sh/release-name to "redis"',
			}),
		])
	})

	it("finds the release's own object annotated with the wrong release namespace", () => {
		const report = check({ 'hr.yaml': release, 'sa.yaml': sa('redis', 'default') })
		expect(report.findings).toEqual([
			expect.objectContaining({
				class: 'release-ownership',
				line: 8,
				fix: 'set meta.helm.sh/release-namespace to "apps"',
			}),
		])
	})

	it('leaves alone objects of their own release, of another release present in the manifests, or named otherwise', () => {
		const cache = release.replace('name: redis\n', 'name: redis-cache\n')
		const report = check({
			'hr.yaml': release,
			'cache.yaml': cache,
			'own.yaml': sa('redis'),
			// Named like both releases' objects; annotated for the one that makes it.
			'cache-sa.yaml': sa('redis-cache', 'apps', 'redis-cache-master'),
			'other.yaml': sa('postgres', 'apps', 'postgres-primary'),
			'plain.yaml':
				'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: redis-values, namespace: apps}\n',
		})
		expect(report.findings).toEqual([])
	})
})

describe('values rules', () => {
	const labelfish = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: labelfish
  namespace: apps
spec:
  chart:
    spec:
      chart: labelfish
  values:
    global:
      image:
        tag: "0.4.2"
    worker:
      image: { repository: labelfish, tag: "0.4.3-gpu" }
    sidecars:
      - name: exporter
        image:
          tag: v1
`
	const rule = {
		forbid: '**.image.tag',
		use: 'global.image.tag',
		reason: 'image tag overrides go under global.image.tag',
	}

	it('finds each forbidden key, at the key, except the path the rule points to', () => {
		const report = check({ 'hr.yaml': labelfish }, ownership({ valuesRules: [rule] }))
		expect(report.findings.map((f) => [f.line, f.column, f.message, f.fix])).toEqual([
			[
				15,
				39,
				'HelmRelease apps/labelfish sets spec.values.worker.image.tag, which ownership.valuesRules[0] forbids (**.image.tag): image tag overrides go under global.image.tag',
				'move the value to spec.values.global.image.tag',
			],
			[
				19,
				11,
				'HelmRelease apps/labelfish sets spec.values.sidecars.0.image.tag, which ownership.valuesRules[0] forbids (**.image.tag): image tag overrides go under global.image.tag',
				'move the value to spec.values.global.image.tag',
			],
		])
		expect(report.findings[0]?.owner).toBe('ownership.valuesRules[0]')
	})

	it('applies only to the charts and releases a rule names', () => {
		const only = (extra: Record<string, unknown>) =>
			check({ 'hr.yaml': labelfish }, ownership({ valuesRules: [{ ...rule, ...extra }] })).findings
				.length
		expect(only({ charts: ['label*'] })).toBe(2)
		expect(only({ charts: ['redis'] })).toBe(0)
		expect(only({ releases: ['labelfish'] })).toBe(2)
		expect(only({ releases: ['other'] })).toBe(0)
	})

	it('without `use`, the fix is to remove the key', () => {
		const report = check(
			{ 'hr.yaml': labelfish },
			ownership({ valuesRules: [{ forbid: 'worker.image' }] }),
		)
		expect(report.findings.map((f) => f.fix)).toEqual(['remove spec.values.worker.image'])
	})
})

describe('malformed input is a finding, never a crash', () => {
	const yamlOf = (text: string) => check({ 'bad.yaml': text }).findings

	it('reports a syntax error at its line, and still checks the other files', () => {
		const report = check(
			{
				'bad.yaml': 'apiVersion: v1\nkind: ConfigMap\ndata:\n  a: b\n c: d\n',
				'good.yaml':
					'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: x}\n',
			},
			ownership({ reserved: PULUMI }),
		)
		expect(brief(report.findings)).toEqual(['bad.yaml:5 invalid-yaml', 'good.yaml:2 reserved-kind'])
		expect(report.findings[0]?.message).toBe(
			'invalid YAML: all mapping items must start at the same column',
		)
		expect(report.findings[0]?.fix).toBe(
			'fix the YAML: Flux cannot apply this file, and nothing in it was checked',
		)
	})

	it('checks the sound documents of a file whose other document is broken', () => {
		const report = check(
			{
				'multi.yaml':
					'apiVersion: v1\nkind: Namespace\nmetadata: {name: cert-manager}\n---\nkind: [\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: x}\n',
			},
			ownership({ reserved: PULUMI }),
		)
		expect(brief(report.findings)).toEqual([
			'multi.yaml:3 reserved-namespace',
			'multi.yaml:6 invalid-yaml',
			'multi.yaml:8 reserved-kind',
		])
	})

	it('reports duplicate keys, tabs and alias bombs', () => {
		expect(yamlOf('apiVersion: v1\nkind: ConfigMap\nkind: Secret\n')[0]?.message).toMatch(
			/a key appears twice/,
		)
		expect(yamlOf('metadata:\n\tname: x\n')[0]?.message).toMatch(/invalid YAML/)
		const bomb = [
			'a: &a ["x","x","x","x","x","x","x","x","x"]',
			'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
			'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
			'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
			'e: [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
		].join('\n')
		expect(yamlOf(bomb)[0]?.message).toMatch(/invalid YAML: .*alias/i)
	})

	it('caps the errors listed for one badly broken file', () => {
		const broken = Array.from({ length: 40 }, (_, i) => `k${i}: [\n`).join('')
		expect(yamlOf(broken).length).toBeLessThanOrEqual(6)
	})

	it('takes no offence at empty files, comments, BOMs, values files, kustomize config or Lists', () => {
		const report = check(
			{
				'empty.yaml': '',
				'comments.yaml': '# nothing yet\n---\n',
				'bom.yaml': '\uFEFFapiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n',
				'values.yaml': 'image:\n  tag: latest\nkind: not-a-manifest\n',
				'scalar.yaml': 'just a string\n',
				'list.yaml': `apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: a, namespace: apps}
  - apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRoleBinding
    metadata: {name: b}
`,
				'kustomization.yaml': 'resources: [list.yaml]\n',
			},
			ownership({ reserved: PULUMI }),
		)
		expect(report.findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.class}`)).toEqual([
			'bom.yaml:4:9 reserved-namespace',
			'list.yaml:8:11 reserved-kind',
		])
		expect(report.resources).toBe(3)
	})

	it('shows control characters from a manifest escaped', () => {
		const report = check(
			{ 'x.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: {name: "cert-manager"}\n' },
			ownership({ reserved: [{ owner: 'pulumi\u001b[31m', namespaces: ['cert-manager'] }] }),
		)
		expect(formatFinding(report.findings[0] as PreflightFinding)).toContain('pulumi\\u001b[31m')
	})
})

describe('which files are read', () => {
	it('YAML under fluxPaths, minus excludePaths', () => {
		const accept = manifestPathFilter(
			ownership({
				fluxPaths: ['clusters/tethys/**'],
				excludePaths: ['clusters/tethys/flux-system/**'],
			}),
		)
		expect(
			[
				'clusters/tethys/apps/a.yaml',
				'clusters/tethys/apps/b.YML',
				'clusters/tethys/apps/README.md',
				'clusters/tethys/flux-system/gotk-sync.yaml',
				'clusters/staging/a.yaml',
				'tidegate.yaml',
			].filter(accept),
		).toEqual(['clusters/tethys/apps/a.yaml', 'clusters/tethys/apps/b.YML'])
	})
})

/** Reads a fixture repository as the CLI does: tidegate.yaml, then every file fluxPaths selects. */
function loadFixture(name: string) {
	const root = join(FIXTURES, name)
	const loaded = loadDesiredState(readFileSync(join(root, 'tidegate.yaml'), 'utf8'))
	if (!loaded.ok || !loaded.value.state.ownership) {
		throw new Error(`fixture ${name}: tidegate.yaml has no valid ownership section`)
	}
	const config = loaded.value.state.ownership
	const accept = manifestPathFilter(config)
	const files: { path: string; text: string }[] = []
	const walk = (dir: string) => {
		for (const entry of readdirSync(dir)) {
			const full = join(dir, entry)
			const path = relative(root, full)
			if (statSync(full).isDirectory()) {
				walk(full)
			} else if (accept(path)) {
				files.push({ path, text: readFileSync(full, 'utf8') })
			}
		}
	}
	walk(root)
	return { config, files: files.sort((a, b) => (a.path < b.path ? -1 : 1)) }
}

describe('the fixture repositories', () => {
	it('tethys: every conflict class, located, outside paths and excluded paths ignored', () => {
		const { config, files } = loadFixture('tethys')
		const report = checkManifests(files, config)
		expect(report.files).toBe(11)
		expect(brief(report.findings)).toEqual([
			'clusters/tethys/apps/broken.yaml:13 invalid-yaml',
			'clusters/tethys/apps/labelfish.yaml:22 values-rule',
			'clusters/tethys/apps/redis-extras.yaml:9 release-ownership',
			'clusters/tethys/apps/redis.yaml:32 release-collision',
			'clusters/tethys/infra/cert-manager-config.yaml:10 reserved-target-namespace',
			'clusters/tethys/infra/crds.yaml:2 reserved-kind',
			'clusters/tethys/infra/issuers.yaml:21 reserved-namespace',
			'clusters/tethys/infra/issuers.yaml:32 reserved-name',
			'clusters/tethys/infra/namespaces.yaml:14 reserved-namespace',
			'clusters/tethys/infra/rbac.yaml:2 reserved-kind',
			'clusters/tethys/infra/rbac.yaml:11 reserved-kind',
		])
		expect(countFindings(report.findings)).toBe('10 conflicts and 1 file with invalid YAML')
	})

	it('clean: a realistic app directory with nothing to report', () => {
		const { config, files } = loadFixture('clean')
		const report = checkManifests(files, config)
		expect(report).toEqual({ findings: [], files: 3, resources: 5 })
	})
})
