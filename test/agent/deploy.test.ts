/**
 * What the Dockerfile and the Kubernetes manifests promise, read from the files themselves
 * (no cluster and no Docker engine in CI): wrong here means a broken matrix in production.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { ROOT } from './helpers/agents.ts'

// biome-ignore lint/suspicious/noExplicitAny: free-form YAML, checked by the assertions themselves
type Doc = Record<string, any>

const k8s = (file: string): Doc[] =>
	parseAllDocuments(readFileSync(join(ROOT, 'agent/k8s', file), 'utf8')).map((d) => d.toJS() as Doc)

const kustomization = k8s('kustomization.yaml')[0] as Doc
const all = (kustomization.resources as string[]).flatMap(k8s)
const find = (kind: string, name: string) =>
	all.find((d) => d.kind === kind && d.metadata?.name === name) as Doc

describe('Kubernetes manifests', () => {
	const ds = find('DaemonSet', 'tidegate-agent')
	const pod = ds.spec.template.spec
	const container = pod.containers[0]
	const env = Object.fromEntries(
		(container.env as Array<{ name: string; value?: string; valueFrom?: Doc }>).map((e) => [
			e.name,
			e.value ?? e.valueFrom,
		]),
	)

	it('puts everything in the tidegate namespace', () => {
		expect(find('Namespace', 'tidegate')).toBeDefined()
		for (const doc of all.filter((d) => d.kind !== 'Namespace')) {
			expect(doc.metadata.namespace, `${doc.kind}/${doc.metadata.name}`).toBe('tidegate')
		}
	})

	it('runs on every node, tainted GPU nodes included', () => {
		expect(pod.tolerations).toContainEqual({ operator: 'Exists' })
		expect(pod.nodeSelector).toBeUndefined()
		expect(pod.affinity).toBeUndefined()
	})

	it('takes NODE_NAME from the downward API and the secret from a Secret', () => {
		expect(env.NODE_NAME).toEqual({ fieldRef: { fieldPath: 'spec.nodeName' } })
		expect(env.POD_IP).toEqual({ fieldRef: { fieldPath: 'status.podIP' } })
		expect(env.AGENT_SECRET).toEqual({
			secretKeyRef: { name: 'tidegate-agent', key: 'AGENT_SECRET' },
		})
		expect(env.AGENT_PEERS).toBeUndefined()
	})

	it('answers requests signed for the tunnel hostname the Worker calls (AGENT_HOSTNAMES)', () => {
		expect(env.AGENT_HOSTNAMES).toMatch(/^[a-z0-9.-]+$/)
	})

	it("asks the Worker for its node's egress IP (AGENT_WORKER_URL), over HTTPS", () => {
		expect(new URL(String(env.AGENT_WORKER_URL)).protocol).toBe('https:')
	})

	it('finds its peers through the headless Service, on the port it listens on', () => {
		const peers = find('Service', 'tidegate-agent-peers')
		expect(peers.spec.clusterIP).toBe('None')
		expect(peers.spec.publishNotReadyAddresses).toBe(true)
		expect(env.AGENT_PEER_SERVICE).toBe('tidegate-agent-peers.tidegate.svc.cluster.local')
		const port = Number(env.AGENT_PORT)
		expect(container.ports).toContainEqual({ name: 'http', containerPort: port, protocol: 'TCP' })
		for (const name of ['tidegate-agent', 'tidegate-agent-peers']) {
			const svc = find('Service', name)
			expect(svc.spec.selector).toEqual(ds.spec.selector.matchLabels)
			expect(svc.spec.ports[0]).toMatchObject({ port, targetPort: 'http' })
		}
	})

	it('is non-root, read-only, without privileges, with requests and limits', () => {
		expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 })
		expect(container.securityContext).toEqual({
			allowPrivilegeEscalation: false,
			readOnlyRootFilesystem: true,
			capabilities: { drop: ['ALL'] },
		})
		expect(pod.automountServiceAccountToken).toBe(false)
		expect(container.resources.requests).toMatchObject({
			cpu: expect.any(String),
			memory: expect.any(String),
		})
		expect(container.resources.limits).toMatchObject({ memory: expect.any(String) })
	})

	it('probes /healthz, and gives a stop more time than the agent takes', () => {
		for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
			expect(container[probe].httpGet).toEqual({ path: '/healthz', port: 'http' })
		}
		expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(20) // AGENT_SHUTDOWN_TIMEOUT_MS default
	})

	it('lets in only agents and cloudflared, and lets everything out', () => {
		const np = find('NetworkPolicy', 'tidegate-agent')
		expect(np.spec.podSelector.matchLabels).toEqual(ds.spec.selector.matchLabels)
		expect(np.spec.ingress).toHaveLength(1)
		expect(np.spec.ingress[0].ports).toEqual([{ port: 'http', protocol: 'TCP' }])
		expect(np.spec.egress).toEqual([{}])
	})
})

describe('Dockerfile', () => {
	const dockerfile = readFileSync(join(ROOT, 'agent/Dockerfile'), 'utf8')

	it('runs the TypeScript entry point directly on node:22-alpine as a numeric non-root user', () => {
		expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:22-alpine$/m)
		expect(dockerfile).toMatch(/^USER 1000:1000$/m)
		expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "agent\/src\/main.ts"\]$/m)
	})

	/** Every file the agent's entry point reaches through relative imports, and the packages. */
	function agentImports(): { files: Set<string>; packages: Set<string> } {
		const files = new Set<string>()
		const packages = new Set<string>()
		const walk = (file: string) => {
			if (files.has(file)) {
				return
			}
			files.add(file)
			const text = readFileSync(join(ROOT, file), 'utf8')
			for (const m of text.matchAll(/from '([^']+)'/g)) {
				const spec = m[1] ?? ''
				if (spec.startsWith('.')) {
					walk(join(file, '..', spec))
				} else if (!spec.startsWith('node:')) {
					packages.add(spec)
				}
			}
		}
		walk('agent/src/main.ts')
		return { files, packages }
	}

	const glob = (pattern: string) =>
		new RegExp(
			`^${pattern
				.replaceAll('.', '\\.')
				.replaceAll('**', '\u0000')
				.replaceAll('*', '[^/]*')
				.replaceAll('\u0000', '.*')}$`,
		)

	it('copies every file and package the agent imports', () => {
		const { files, packages } = agentImports()
		// What the COPY lines from the build context put in the image: directories and globs.
		const copied = [...dockerfile.matchAll(/^COPY (?!--from)(\S+) \S+$/gm)].map((m) => m[1] ?? '')
		const inImage = (file: string) =>
			copied.some((source) =>
				source.includes('*')
					? glob(source).test(file)
					: file === source || file.startsWith(`${source}/`),
			)
		for (const file of files) {
			expect(inImage(file), `${file} is not copied into the image`).toBe(true)
		}
		expect(dockerfile).toContain('COPY agent/src ./agent/src')
		for (const name of packages) {
			// Only small, dependency-free packages belong in the image.
			expect(['ipaddr.js', 'zod'], `the agent imports ${name}`).toContain(name)
			expect(dockerfile).toContain(
				`COPY --from=deps /app/node_modules/${name} ./node_modules/${name}`,
			)
		}
	})

	it('sends every imported file in the build context (Dockerfile.dockerignore)', () => {
		// BuildKit: the last pattern that matches a path decides; `!` lets it back in.
		const rules = readFileSync(join(ROOT, 'agent/Dockerfile.dockerignore'), 'utf8')
			.split('\n')
			.map((line) => line.trim())
			.filter((line) => line !== '' && !line.startsWith('#'))
			.map((line) => ({ include: line.startsWith('!'), pattern: glob(line.replace(/^!/, '')) }))
		// A pattern that matches a directory (`*` matches `src`) covers everything under it.
		const matches = (pattern: RegExp, file: string) =>
			file.split('/').some((_, i, parts) => pattern.test(parts.slice(0, i + 1).join('/')))
		const sent = (file: string) =>
			rules.reduce((kept, rule) => (matches(rule.pattern, file) ? rule.include : kept), true)
		for (const file of [...agentImports().files, 'package.json', 'package-lock.json']) {
			expect(sent(file), `${file} is left out of the build context`).toBe(true)
		}
	})
})
