import { env, exports } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID } from '../standins/cloudflare/seed.ts'
import { useEdge } from './support/network.ts'

const edge = useEdge()
const auth = { authorization: `Basic ${btoa('admin:test-admin-token-0123456789abcdef')}` }
const page = (path: string) =>
	exports.default.fetch(new Request(`https://tidegate.test${path}`, { headers: auth }))

const YAML = `version: 1
owner: oceanid
tunnel:
  accountId: ${DEFAULT_ACCOUNT_ID}
  tunnelId: ${DEFAULT_TUNNEL_ID}
  ingress:
    - hostname: label.example.com
      service: http://label-studio-ls-app.apps.svc.cluster.local:8085
splitTunnel:
  accountId: ${DEFAULT_ACCOUNT_ID}
  include:
    - address: 10.42.0.0/16
      description: K8s Pod Network
`

async function waitForRuns(n: number) {
	const until = Date.now() + 10_000
	while (Date.now() < until) {
		const row = await env.DB.prepare(
			"SELECT COUNT(*) AS n FROM runs WHERE status NOT IN ('queued','running')",
		).first<{ n: number }>()
		if ((row?.n ?? 0) >= n) {
			return
		}
		await new Promise((r) => setTimeout(r, 50))
	}
	throw new Error('runs did not finish')
}

beforeAll(async () => {
	await edge.github.push({ files: { 'tidegate.yaml': YAML }, delivery: 'skip' })
	await exports.default.fetch(
		new Request('https://tidegate.test/api/reconcile', {
			method: 'POST',
			headers: { authorization: 'Bearer test-admin-token-0123456789abcdef' },
		}),
	)
	await waitForRuns(1)
})

describe('dashboard', () => {
	it('renders status, both resources, the last diff and the runs in one HTML page', async () => {
		const res = await page('/')
		expect(res.status).toBe(200)
		expect(res.headers.get('content-type')).toContain('text/html')
		const html = await res.text()
		expect(html).toContain('Everything is in sync.')
		expect(html).toContain('<code>label.example.com</code>')
		expect(html).toContain('Office VPN')
		expect(html).toMatch(/netops \(kept as is\)/)
		expect(html).toContain('K8s Pod Network - oceanid')
		expect(html).toContain(
			'+ label.example.com → http://label-studio-ls-app.apps.svc.cluster.local:8085',
		)
		expect(html).toMatch(/<a href="\/runs\/\d+">#\d+<\/a>/)
	})

	it('marks drift in the tables after a hand edit is reported', async () => {
		edge.cloudflare.handEdit({
			kind: 'tunnel-config',
			accountId: DEFAULT_ACCOUNT_ID,
			tunnelId: DEFAULT_TUNNEL_ID,
			config: {
				ingress: [
					{ hostname: 'label.example.com', service: 'http://label-studio:8080' },
					{ service: 'http_status:404' },
				],
			},
		})
		await env.DB.prepare(
			"INSERT INTO settings (key, value, updated_at) VALUES ('suspended', 'true', 0)",
		).run()
		await exports.default.fetch(
			new Request('https://tidegate.test/api/reconcile', {
				method: 'POST',
				headers: { authorization: 'Bearer test-admin-token-0123456789abcdef' },
			}),
		)
		await waitForRuns(2)
		const html = await (await page('/')).text()
		expect(html).toContain('Syncing is suspended')
		expect(html).toContain('<tr class="drift">')
		expect(html).toContain('will be updated (hand edit in the dashboard)')
	})

	it('shows a run with its plan and API calls', async () => {
		const run = await env.DB.prepare('SELECT id FROM runs ORDER BY id LIMIT 1').first<{
			id: number
		}>()
		const html = await (await page(`/runs/${run?.id}`)).text()
		expect(html).toContain(`<h1>Run #${run?.id}</h1>`)
		expect(html).toMatch(
			/PUT \/client\/v4\/accounts\/[0-9a-f]+\/cfd_tunnel\/[0-9a-f-]+\/configurations/,
		)
		expect((await page('/runs/99999')).status).toBe(404)
	})

	it('requires sign-in', async () => {
		const res = await exports.default.fetch(
			new Request('https://tidegate.test/', { headers: { accept: 'text/html' } }),
		)
		expect(res.status).toBe(401)
		expect(await res.text()).toContain('Sign in to tidegate')
	})
})
