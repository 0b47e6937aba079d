/**
 * `tidegate preflight <repo-dir> [--config file]` as CI runs it: the real bin in a child process.
 * Exit 0 clean, 1 conflicts (each as `file:line message; fix: …`), 2 unreadable directory or
 * config, 64 bad usage — and never a stack trace.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { NODE, ROOT, type Run, runCommand, tidegate as runTidegate } from './support/run.ts'

const TETHYS = 'test/fixtures/preflight/tethys'
const CLEAN = 'test/fixtures/preflight/clean'

function tidegate(...args: string[]): Promise<Run> {
	return runTidegate(args)
}

/** Output lines without the final newline. */
const lines = (text: string): string[] => text.replace(/\n$/, '').split('\n')

const STACK_FRAME = /^\s+at .+[:(]/m

const scratch = mkdtempSync(join(tmpdir(), 'tidegate-preflight-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** A throwaway checkout: path → content. */
function checkout(name: string, files: Record<string, string>): string {
	const root = join(scratch, name)
	for (const [path, text] of Object.entries(files)) {
		mkdirSync(join(root, path, '..'), { recursive: true })
		writeFileSync(join(root, path), text)
	}
	return root
}

const CONFIG = `version: 1
owner: oceanid
ownership:
  fluxPaths: ["clusters/tethys/**"]
  reserved:
    - owner: pulumi
      kinds: [CustomResourceDefinition, ClusterRole]
    - owner: pulumi
      namespaces: [cert-manager]
`

describe('exit 1: conflicts, each as file:line', () => {
	it('names every conflict of the tethys fixture, then a summary on stderr', async () => {
		const run = await tidegate('preflight', TETHYS)
		expect(run.status).toBe(1)
		expect(lines(run.stdout)).toEqual([
			`${TETHYS}/clusters/tethys/apps/broken.yaml:13 invalid YAML: sequence item without - indicator; fix: fix the YAML: Flux cannot apply this file, and nothing in it was checked`,
			`${TETHYS}/clusters/tethys/apps/labelfish.yaml:22 HelmRelease apps/labelfish sets spec.values.worker.image.tag, which ownership.valuesRules[0] forbids (**.image.tag): image tag overrides go under global.image.tag; fix: move the value to spec.values.global.image.tag`,
			`${TETHYS}/clusters/tethys/apps/redis-extras.yaml:9 ServiceAccount apps/redis-master is annotated for Helm release "redis-legacy" (meta.helm.sh/release-name), but its name is one that release "redis" of HelmRelease apps/redis (clusters/tethys/apps/redis.yaml:14) renders (charts name objects "<release>-…"); Helm refuses to adopt an object of another release; fix: remove this copy and let the chart render it, or set meta.helm.sh/release-name to "redis"`,
			`${TETHYS}/clusters/tethys/apps/redis.yaml:32 HelmRelease apps/redis-cache makes Helm release "redis" stored in namespace apps, as HelmRelease apps/redis (clusters/tethys/apps/redis.yaml:14) already does; the two would overwrite each other's release; fix: give one of them a different spec.releaseName`,
			`${TETHYS}/clusters/tethys/infra/cert-manager-config.yaml:10 Kustomization gitops/cert-manager-issuers applies its manifests into namespace cert-manager (spec.targetNamespace), reserved for pulumi (ownership.reserved[1]: namespace cert-manager); fix: point spec.targetNamespace at a namespace Flux owns`,
			`${TETHYS}/clusters/tethys/infra/crds.yaml:2 CustomResourceDefinition labelprojects.labelfish.oceanid.dev is reserved for pulumi (ownership.reserved[0]: kind CustomResourceDefinition): cluster-wide APIs and RBAC come from the platform stack; fix: remove it from the Flux manifests and declare it in pulumi, which owns every CustomResourceDefinition`,
			`${TETHYS}/clusters/tethys/infra/issuers.yaml:21 Certificate cert-manager/wildcard-example is in namespace cert-manager, reserved for pulumi (ownership.reserved[1]: namespace cert-manager); fix: move it to a namespace Flux owns, or let pulumi manage it and remove it here`,
			`${TETHYS}/clusters/tethys/infra/issuers.yaml:32 Secret networking/cloudflared-token is reserved for pulumi (ownership.reserved[2]: kind Secret, name "cloudflared-*"); fix: rename it, or let pulumi manage it and remove it here`,
			`${TETHYS}/clusters/tethys/infra/namespaces.yaml:14 Namespace cert-manager is reserved for pulumi (ownership.reserved[1]: namespace cert-manager); fix: remove this Namespace from the Flux manifests; pulumi creates and owns it`,
			`${TETHYS}/clusters/tethys/infra/rbac.yaml:2 ClusterRole labelfish-reader is reserved for pulumi (ownership.reserved[0]: kind ClusterRole): cluster-wide APIs and RBAC come from the platform stack; fix: remove it from the Flux manifests and declare it in pulumi, which owns every ClusterRole`,
			`${TETHYS}/clusters/tethys/infra/rbac.yaml:11 ClusterRoleBinding labelfish-reader is reserved for pulumi (ownership.reserved[0]: kind ClusterRoleBinding): cluster-wide APIs and RBAC come from the platform stack; fix: remove it from the Flux manifests and declare it in pulumi, which owns every ClusterRoleBinding`,
		])
		expect(run.stderr).toBe(
			'preflight: 10 conflicts and 1 file with invalid YAML in 9 files (checked 11 manifest files under clusters/tethys/**)\n',
		)
	})

	it('prints repository-relative paths when run from the checkout (`tidegate preflight .`)', async () => {
		const run = await runCommand(NODE, [join(ROOT, 'bin/tidegate.js'), 'preflight', '.'], {
			cwd: join(ROOT, TETHYS),
		})
		expect(run.status).toBe(1)
		expect(lines(run.stdout)[0]).toMatch(/^clusters\/tethys\/apps\/broken\.yaml:13 invalid YAML/)
	})

	it('reads another config with --config, relative to the current directory', async () => {
		const config = join(scratch, 'only-crds.yaml')
		writeFileSync(
			config,
			'version: 1\nowner: oceanid\nownership:\n  fluxPaths: [clusters/tethys/infra]\n  reserved:\n    - owner: platform\n      kinds: [CustomResourceDefinition]\n',
		)
		const run = await tidegate('preflight', TETHYS, '--config', config)
		expect(run.status).toBe(1)
		expect(lines(run.stdout)).toEqual([
			`${TETHYS}/clusters/tethys/infra/crds.yaml:2 CustomResourceDefinition labelprojects.labelfish.oceanid.dev is reserved for platform (ownership.reserved[0]: kind CustomResourceDefinition); fix: remove it from the Flux manifests and declare it in platform, which owns every CustomResourceDefinition`,
		])
		expect(run.stderr).toBe(
			'preflight: 1 conflict in 1 file (checked 5 manifest files under clusters/tethys/infra)\n',
		)
	})

	it('a malformed manifest is a located finding, not a crash', async () => {
		const root = checkout('malformed', {
			'tidegate.yaml': CONFIG,
			'clusters/tethys/bad.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: tabbed\n',
			'clusters/tethys/alias.yaml': 'a: *nowhere\n',
		})
		const run = await tidegate('preflight', root)
		expect(run.status).toBe(1)
		expect(run.stderr).not.toMatch(STACK_FRAME)
		expect(lines(run.stdout).map((l) => l.slice(root.length + 1))).toEqual([
			'clusters/tethys/alias.yaml:1 invalid YAML: alias *nowhere has no anchor &nowhere before it; fix: fix the YAML: Flux cannot apply this file, and nothing in it was checked',
			'clusters/tethys/bad.yaml:4 invalid YAML: tabs are not allowed for indentation; indent with spaces; fix: fix the YAML: Flux cannot apply this file, and nothing in it was checked',
		])
	})
})

describe('exit 0: clean', () => {
	it('one line on stdout, nothing on stderr', async () => {
		expect(await tidegate('preflight', CLEAN)).toEqual({
			status: 0,
			stdout:
				'preflight: no ownership conflicts in 3 manifest files (5 objects) under clusters/tethys/**\n',
			stderr: '',
		})
	})

	it('`tidegate validate` summarises the ownership section it will use', async () => {
		expect(await tidegate('validate', `${TETHYS}/tidegate.yaml`)).toEqual({
			status: 0,
			stdout: `${TETHYS}/tidegate.yaml: valid (owner oceanid; pre-flight of clusters/tethys/**: 3 reserved entries, 1 values rule)\n`,
			stderr: '',
		})
	})

	it('warns when fluxPaths match no file (a typo in CI should not pass silently)', async () => {
		const root = checkout('empty', { 'tidegate.yaml': CONFIG, 'apps/x.yaml': 'kind: X\n' })
		const run = await tidegate('preflight', root)
		expect(run.status).toBe(0)
		expect(run.stderr).toBe(
			`warning: no YAML file under ${root} matches ownership.fluxPaths (clusters/tethys/**)\n`,
		)
	})
})

describe('exit 2: nothing to check with', () => {
	it('a missing directory, or a file given as the directory', async () => {
		expect(await tidegate('preflight', 'no/such/dir')).toEqual({
			status: 2,
			stdout: '',
			stderr: 'tidegate: cannot read no/such/dir: no such directory\n',
		})
		expect(await tidegate('preflight', 'package.json')).toEqual({
			status: 2,
			stdout: '',
			stderr: 'tidegate: cannot read package.json: not a directory\n',
		})
	})

	it('no tidegate.yaml at the root, or a missing --config file', async () => {
		const root = checkout('no-config', { 'clusters/tethys/a.yaml': 'kind: X\n' })
		const run = await tidegate('preflight', root)
		expect(run).toEqual({
			status: 2,
			stdout: '',
			stderr: `tidegate: cannot read ${root}/tidegate.yaml: no such file\n`,
		})
		expect((await tidegate('preflight', CLEAN, '--config', 'nope.yaml')).stderr).toBe(
			'tidegate: cannot read nope.yaml: no such file\n',
		)
	})

	it('an invalid config: its errors as validate prints them, and no check', async () => {
		const root = checkout('bad-config', {
			'tidegate.yaml': 'version: 1\nowner: oceanid\nownership:\n  fluxPaths: ["/abs/**"]\n',
		})
		const run = await tidegate('preflight', root)
		expect(run).toEqual({
			status: 2,
			stdout: `${root}/tidegate.yaml:4:15 ownership.fluxPaths[0] path "/abs/**" starts with "/"; write it relative to the repository root: "abs/**"\n`,
			stderr: `${root}/tidegate.yaml: invalid; the pre-flight check did not run\n`,
		})
	})

	it('a config without an ownership section', async () => {
		const run = await tidegate('preflight', '.', '--config', 'examples/tidegate.yaml')
		expect(run).toEqual({
			status: 2,
			stdout: '',
			stderr:
				'examples/tidegate.yaml has no ownership section, so there is nothing to check; add ownership.fluxPaths and ownership.reserved (docs/preflight.md)\n',
		})
	})
})

describe('exit 64: bad usage', () => {
	const cases: [string, string[], string][] = [
		['no directory', [], 'tidegate preflight: expected a repository directory, e.g. `.`'],
		['two directories', ['a', 'b'], 'tidegate preflight: expected one repository directory, got 2'],
		['an unknown option', ['.', '--strict'], 'tidegate preflight: unknown option --strict'],
		['--config without a file', ['.', '--config'], 'tidegate preflight: --config needs a file'],
	]
	for (const [name, args, message] of cases) {
		it(name, async () => {
			const run = await tidegate('preflight', ...args)
			expect(run.status).toBe(64)
			expect(run.stdout).toBe('')
			expect(lines(run.stderr)[0]).toBe(message)
			expect(run.stderr).toContain('preflight <repo-dir>')
		})
	}

	it('--help prints the usage and exits 0', async () => {
		const run = await tidegate('preflight', '--help')
		expect(run.status).toBe(0)
		expect(run.stdout).toContain(
			'preflight reads <repo-dir>/tidegate.yaml unless --config names another file.',
		)
	})
})
