/**
 * The whole edge through the real Worker and the Cloudflare stand-in: the DNS record of every
 * tunnel hostname, private-network routes, adoption of entries and records tidegate did not write,
 * exclude-mode and several device profiles, and the tunnel's connectors (docs/desired-state.md,
 * docs/safety.md).
 */
import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { reconcile as reconcileUseCase } from '../../src/app/edge/reconcile.ts'
import { buildDeps } from '../../workers/deps.ts'
import {
	commit,
	desiredYaml,
	expectConverged,
	live,
	reconcileNow,
	resetWorld,
	writeLog,
} from '../faults/support/world.ts'
import {
	CUSTOM_EXCLUDE_POLICY_ID,
	CUSTOM_INCLUDE_POLICY_ID,
	DEFAULT_ACCOUNT_ID,
	DEFAULT_TUNNEL_ID,
	DEFAULT_ZONE_ID,
	NETOPS_TUNNEL_ID,
} from '../standins/cloudflare/seed.ts'
import { useEdge } from './support/network.ts'

const edge = useEdge()
const TARGET = `${DEFAULT_TUNNEL_ID}.cfargotunnel.com`

beforeEach(async () => {
	await resetWorld(edge)
})

const cnames = () =>
	edge.cloudflare
		.records(DEFAULT_ZONE_ID)
		.filter((r) => r.type === 'CNAME')
		.map((r) => [r.name, r.content, r.proxied, r.comment])
const ourRoutes = () =>
	edge.cloudflare
		.routes(DEFAULT_ACCOUNT_ID)
		.filter((r) => r.tunnel_id === DEFAULT_TUNNEL_ID)
		.map((r) => [r.network, r.comment])

/** The integration desired state with routes for its include CIDRs (the seed team's setup). */
const withRoutes = (extra = '') =>
	desiredYaml({ extra }).replace(
		'  ingress:',
		`  warpRouting: true
  routes:
    - network: 10.42.0.0/16
      comment: K8s Pod Network
    - network: 10.43.0.0/16
      comment: K8s Service Network
    - network: 192.168.2.0/24
      comment: Calypso GPU
  ingress:`,
	)

describe('DNS records for the tunnel hostnames', () => {
	it('the first sync creates one proxied CNAME per hostname; the next run writes nothing', async () => {
		await commit(edge, desiredYaml())
		const first = await reconcileNow()
		expect(first.status).toBe('applied')
		expect(cnames()).toEqual([
			['label.example.com', TARGET, true, 'tidegate ingress - oceanid'],
			['k3s.example.com', TARGET, true, 'tidegate ingress - oceanid'],
		])
		// The zone's other records are untouched.
		expect(edge.cloudflare.records(DEFAULT_ZONE_ID).filter((r) => r.type !== 'CNAME')).toHaveLength(
			4,
		)
		await expectConverged(edge, desiredYaml())
	})

	it('refuses a hostname another record holds, naming it, and leaves it untouched', async () => {
		edge.cloudflare.handEdit({
			kind: 'dns-record',
			op: 'create',
			zone: DEFAULT_ZONE_ID,
			record: {
				type: 'A',
				name: 'label.example.com',
				content: '192.0.2.7',
				proxied: false,
				comment: 'old VM',
			},
		})
		await commit(edge, desiredYaml())
		const run = await reconcileNow()
		expect(run.status).toBe('refused')
		expect(run.summary).toMatch(
			/^refused: tidegate\.yaml line 7 \(tunnel\.ingress\[0\]\): label\.example\.com already has the A record 192\.0\.2\.7 \(comment "old VM", id [0-9a-f]+\), which tidegate did not create/,
		)
		expect(edge.cloudflare.writes()).toEqual([])
		expect(
			edge.cloudflare.records(DEFAULT_ZONE_ID).find((r) => r.name === 'label.example.com'),
		).toMatchObject({ type: 'A', content: '192.0.2.7' })
	})

	it('with adopt: true, takes the record over', async () => {
		edge.cloudflare.handEdit({
			kind: 'dns-record',
			op: 'create',
			zone: DEFAULT_ZONE_ID,
			record: {
				type: 'CNAME',
				name: 'label.example.com',
				content: 'old-lb.example.net',
				proxied: false,
			},
		})
		const yaml = desiredYaml().replace(
			'      service: http://label-studio-ls-app.apps.svc.cluster.local:8085',
			'      service: http://label-studio-ls-app.apps.svc.cluster.local:8085\n      adopt: true',
		)
		await commit(edge, yaml)
		const run = await reconcileNow()
		expect(run.status).toBe('applied')
		expect(run.summary).toContain('DNS: 1 added, 1 adopted')
		expect(cnames()).toContainEqual([
			'label.example.com',
			TARGET,
			true,
			'tidegate ingress - oceanid',
		])
	})

	it('deletes the records of removed hostnames it wrote, counted against sync.maxDeletions', async () => {
		const three = desiredYaml({
			rules: ['a', 'b', 'c']
				.map((n) => `    - hostname: ${n}.example.com\n      service: http://${n}:80`)
				.join('\n'),
		})
		await commit(edge, three)
		expect((await reconcileNow()).status).toBe('applied')
		const one = desiredYaml({
			rules: '    - hostname: a.example.com\n      service: http://a:80',
			extra: 'sync:\n  maxDeletions: 1\n',
		})
		await commit(edge, one)
		const refused = await reconcileNow()
		expect(refused.status).toBe('refused')
		expect(refused.summary).toMatch(
			/removes 2 (tunnel ingress rules|DNS records), more than sync.maxDeletions \(1\)/,
		)
		const forced = await reconcileNow({ force: true })
		expect(forced.status).toBe('applied')
		expect(cnames().map((r) => r[0])).toEqual(['a.example.com'])
	})

	it('a rule with dns: false gets no record', async () => {
		await commit(
			edge,
			desiredYaml().replace(
				'      service: https://kubernetes.default.svc:443',
				'      service: https://kubernetes.default.svc:443\n      dns: false',
			),
		)
		expect((await reconcileNow()).status).toBe('applied')
		expect(cnames().map((r) => r[0])).toEqual(['label.example.com'])
	})

	it('without CF_DNS_API_TOKEN, DNS is skipped with a warning, never silently', async () => {
		await commit(edge, desiredYaml())
		const deps = buildDeps({ ...env, CF_DNS_API_TOKEN: '' })
		const run = await deps.runs.create({
			trigger: 'api',
			dryRun: false,
			force: false,
			queuedAt: Date.now(),
		})
		const result = await reconcileUseCase(deps, run)
		expect(result.status).toBe('applied')
		expect(result.warnings.join('\n')).toMatch(
			/DNS records are not synced: CF_DNS_API_TOKEN is not set/,
		)
		expect(cnames()).toEqual([])
		const health = (await (await deps.dnsApi?.zones(DEFAULT_ACCOUNT_ID))?.ok) ?? 'no DNS api'
		expect(health).toBe('no DNS api')
	})
})

describe('Private-network routes', () => {
	it("the first sync routes every include CIDR to the tunnel; other teams' routes stay", async () => {
		await commit(edge, withRoutes())
		const run = await reconcileNow()
		expect(run.status).toBe('applied')
		expect(run.summary).toContain('routes: 3 added')
		expect(ourRoutes()).toEqual([
			['10.42.0.0/16', 'K8s Pod Network - oceanid'],
			['10.43.0.0/16', 'K8s Service Network - oceanid'],
			['192.168.2.0/24', 'Calypso GPU - oceanid'],
		])
		expect(
			edge.cloudflare.routes(DEFAULT_ACCOUNT_ID).find((r) => r.tunnel_id === NETOPS_TUNNEL_ID),
		).toMatchObject({
			network: '10.8.0.0/16',
			comment: 'Office VPN - netops',
		})
		await expectConverged(edge, withRoutes())
	})

	it('an include CIDR without a route is refused when routes are managed (validation, with its line)', async () => {
		const missing = withRoutes().replace(
			'    - network: 192.168.2.0/24\n      comment: Calypso GPU\n',
			'',
		)
		const sha = await commit(edge, missing)
		const run = await reconcileNow()
		expect(run).toMatchObject({ status: 'failed', error_code: 'config_invalid', commit_sha: sha })
		expect(run.error_message).toMatch(
			/splitTunnel\.include\[2\]\.address 192\.168\.2\.0\/24 has no route in tunnel\.routes/,
		)
		expect(edge.cloudflare.writes()).toEqual([])
	})

	it('routes not managed by tidegate.yaml are only checked: a missing one is a warning on the run', async () => {
		await commit(edge, desiredYaml())
		const run = await reconcileNow()
		expect(run.status).toBe('applied')
		expect(run.warnings).toMatch(/no route sends 10\.42\.0\.0\/16 to this tunnel/)
		expect(ourRoutes()).toEqual([])
	})

	it('a network another route carries is refused unless adopt: true', async () => {
		edge.cloudflare.handEdit({
			kind: 'route',
			op: 'create',
			accountId: DEFAULT_ACCOUNT_ID,
			route: { network: '10.42.0.0/16', tunnel_id: NETOPS_TUNNEL_ID, comment: 'Pods (platform)' },
		})
		await commit(edge, withRoutes())
		const refused = await reconcileNow()
		expect(refused.status).toBe('refused')
		expect(refused.summary).toMatch(
			/10\.42\.0\.0\/16 is already routed by a route tidegate did not create/,
		)
		await commit(
			edge,
			withRoutes().replace(
				'      comment: K8s Pod Network\n',
				'      comment: K8s Pod Network\n      adopt: true\n',
			),
		)
		const adopted = await reconcileNow()
		expect(adopted.status).toBe('applied')
		expect(ourRoutes()).toContainEqual(['10.42.0.0/16', 'K8s Pod Network - oceanid'])
	})
})

describe('Adoption and profiles', () => {
	it("adopt: true takes over the seed team's hand-made entry, which protected then protects", async () => {
		edge.cloudflare.handEdit({
			kind: 'split-tunnel',
			accountId: DEFAULT_ACCOUNT_ID,
			list: (list) => [
				...list,
				{ address: '10.43.0.0/16', description: 'K8s Service Network - oceanid API' },
			],
		})
		const plain = await (async () => {
			await commit(edge, desiredYaml())
			return reconcileNow()
		})()
		expect(plain.warnings).toMatch(
			/10\.43\.0\.0\/16 is already in the list as someone else's entry/,
		)
		const adopting = desiredYaml().replace(
			'      protected: true',
			'      protected: true\n      adopt: true',
		)
		await commit(edge, adopting)
		const run = await reconcileNow()
		expect(run.status).toBe('applied')
		expect(run.summary).toContain('split tunnel: 1 adopted')
		expect(live(edge).include).toContainEqual({
			address: '10.43.0.0/16',
			description: 'K8s Service Network - oceanid',
		})
		// Now tidegate's, and protected: dropping it from git is refused even with force.
		await commit(edge, adopting.replace(/ {4}- address: 10\.43\.0\.0\/16\n(?: {6}.*\n)+/, ''))
		const drop = await reconcileNow({ force: true })
		expect(drop.status).toBe('refused')
		expect(drop.summary).toMatch(/10\.43\.0\.0\/16 is protected/)
	})

	it("an exclude-mode profile gets its owned exclude entries; other teams' stay; the mode stays", async () => {
		const yaml = desiredYaml({ policy: CUSTOM_EXCLUDE_POLICY_ID }).replace(
			'  include:',
			'  exclude:',
		)
		await commit(edge, yaml)
		const run = await reconcileNow()
		expect(run.status).toBe('applied')
		const profile = edge.cloudflare.profile(DEFAULT_ACCOUNT_ID, CUSTOM_EXCLUDE_POLICY_ID)
		expect(profile.mode).toBe('exclude')
		expect(profile.list[0]).toEqual({ address: '192.168.0.0/16', description: 'Home networks' })
		expect(profile.list.map((e) => e.description)).toEqual([
			'Home networks',
			'K8s Pod Network - oceanid',
			'K8s Service Network - oceanid',
			'Calypso GPU - oceanid',
		])
	})

	it('a profile in the other mode than tidegate.yaml says is refused, never switched', async () => {
		await commit(edge, desiredYaml({ policy: CUSTOM_EXCLUDE_POLICY_ID }))
		const run = await reconcileNow()
		expect(run.status).toBe('refused')
		expect(run.summary).toMatch(/is in exclude mode .* but tidegate\.yaml writes its include list/)
		expect(edge.cloudflare.profile(DEFAULT_ACCOUNT_ID, CUSTOM_EXCLUDE_POLICY_ID).mode).toBe(
			'exclude',
		)
	})

	it('several device profiles are kept in sync in one run', async () => {
		const yaml = desiredYaml()
			.replace(
				/splitTunnel:\n {2}accountId: (\w+)\n {2}policy: default\n/,
				`splitTunnel:\n  - accountId: $1\n    policy: ${CUSTOM_INCLUDE_POLICY_ID}\n    include:\n      - address: 10.44.0.0/16\n        description: Engineers lab\n        tunnelRoute: false\n  - accountId: $1\n    policy: default\n`,
			)
			.replace(/\n {4}- address/g, '\n      - address')
			.replace(/\n {6}(description|protected)/g, '\n        $1')
			.replace('\n  include:\n', '\n    include:\n')
		await commit(edge, yaml)
		const run = await reconcileNow()
		expect(run.status).toBe('applied')
		expect(
			edge.cloudflare.profile(DEFAULT_ACCOUNT_ID, CUSTOM_INCLUDE_POLICY_ID).list,
		).toContainEqual({
			address: '10.44.0.0/16',
			description: 'Engineers lab - oceanid',
		})
		expect(live(edge).include).toContainEqual({
			address: '10.42.0.0/16',
			description: 'K8s Pod Network - oceanid',
		})
		expect(writeLog(edge).filter((w) => w.startsWith('PUT split-tunnel'))).toHaveLength(2)
	})
})

describe("The tunnel's connectors", () => {
	it('a connector that takes the new version within the wait is not reported', async () => {
		await commit(edge, desiredYaml())
		edge.cloudflare.setConnectorLagging(DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID, 0)
		setTimeout(
			() => edge.cloudflare.setConnectorLagging(DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID, 0, false),
			300,
		)
		const run = await reconcileNow()
		expect(run.status).toBe('applied')
		expect(run.warnings ?? '').not.toMatch(/still reports config version/)
	})

	it('a tunnel with no connected cloudflared is shown on /api/status and the dashboard', async () => {
		edge.cloudflare.setConnectorCount(DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID, 0)
		await commit(edge, desiredYaml())
		expect((await reconcileNow()).status).toBe('applied')
		const headers = { authorization: 'Bearer test-admin-token-0123456789abcdef' }
		const status = (await (await exportsFetch('/api/status', headers)).json()) as {
			resources: { kind: string; connectors: number | null }[]
			health: { state: string; problems: string[] }
		}
		expect(status.resources.find((r) => r.kind === 'tunnel')?.connectors).toBe(0)
		expect(status.health.state).toBe('bad')
		expect(status.health.problems).toContain(
			'No cloudflared connector is connected to the tunnel: nothing it routes is reachable.',
		)
		const page = await (await exportsFetch('/', headers)).text()
		expect(page).toContain('No cloudflared connector is connected: nothing here is reachable.')
	})
})

async function exportsFetch(path: string, headers: Record<string, string>): Promise<Response> {
	const { exports } = await import('cloudflare:workers')
	return exports.default.fetch(new Request(`https://tidegate.test${path}`, { headers }))
}
