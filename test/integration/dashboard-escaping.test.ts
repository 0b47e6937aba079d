/**
 * XSS through the dashboard (docs/threat-model.md): every value that reaches a page from git
 * (tidegate.yaml), from Flux (events) or from Cloudflare (another team's entries, a hand-edited
 * rule, an API error message) is seeded hostile, each with its own marker, and must come out as
 * text. Each marker is also looked for escaped, so a value that is not shown cannot pass unseen.
 */
import { env, exports } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { commit, desiredYaml, reconcileNow, resetWorld } from '../faults/support/world.ts'
import { DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID } from '../standins/cloudflare/seed.ts'
import { ADMIN, fluxEvent, resetLedger, sendAll, sha } from './support/flux.ts'
import { useEdge } from './support/network.ts'

// The edge's own stand-in takes the alerts the Flux failures raise.
const edge = useEdge()

/** A value that closes an attribute and opens a tag, numbered by where it came from. */
const hostile = (n: number) => `"'><x-xss-${n}>`
const SOURCES: Record<number, string> = {
	1: 'a split-tunnel description in tidegate.yaml',
	2: 'an ingress path regex in tidegate.yaml',
	3: "another team's split-tunnel description, from Cloudflare",
	4: 'a hand-edited ingress path, from Cloudflare',
	5: 'a Cloudflare API error message',
	6: 'a Flux object namespace',
	7: 'a Flux object name',
	8: 'a Flux failure message',
	9: 'a Flux revision',
}

const pages: Record<string, string> = {}

async function page(path: string): Promise<string> {
	const res = await exports.default.fetch(
		new Request(`https://tidegate.test${path}`, { headers: ADMIN }),
	)
	expect(res.status, path).toBe(200)
	return res.text()
}

beforeAll(async () => {
	await resetWorld(edge)
	await resetLedger()
	// From git: a description and a path regex (both valid: the loader takes them as text).
	await commit(
		edge,
		desiredYaml({
			rules: `    - hostname: label.example.com
      path: '^/${hostile(2).replace(/'/g, "''")}'
      service: http://label-studio-ls-app.apps.svc.cluster.local:8085`,
			entries: `    - address: 10.42.0.0/16
      description: '${hostile(1).replace(/'/g, "''")}'`,
		}),
	)
	const applied = await reconcileNow()
	expect(applied.status, applied.error_message ?? '').toBe('applied')
	// From Cloudflare: another team's entry, and a rule added by hand in the dashboard.
	edge.cloudflare.handEdit({
		kind: 'split-tunnel',
		accountId: DEFAULT_ACCOUNT_ID,
		list: (list) => [...list, { address: '10.99.0.0/16', description: `Team ${hostile(3)}` }],
	})
	edge.cloudflare.handEdit({
		kind: 'tunnel-config',
		accountId: DEFAULT_ACCOUNT_ID,
		tunnelId: DEFAULT_TUNNEL_ID,
		config: {
			ingress: [
				{ hostname: 'evil.example.com', path: `^/${hostile(4)}`, service: 'http://x.example.com' },
				{ service: 'http_status:404' },
			],
		},
	})
	const drift = await reconcileNow({ dryRun: true })
	pages.drift = await page(`/runs/${drift.id}`)
	// Corrected for real: the include table now lists the other team's new entry.
	expect((await reconcileNow()).status).toBe('applied')
	// A Cloudflare error message, shown as the run's error.
	edge.cloudflare.addFault({
		method: 'GET',
		path: `/accounts/${DEFAULT_ACCOUNT_ID}/cfd_tunnel/${DEFAULT_TUNNEL_ID}/configurations`,
		kind: 'status',
		status: 400,
		code: 1001,
		message: `bad request ${hostile(5)}`,
		times: 1,
	})
	const failed = await reconcileNow({ dryRun: true })
	expect(`${failed.error_message} ${failed.summary} ${failed.plan}`).toContain('x-xss-5')
	pages.failed = await page(`/runs/${failed.id}`)
	// From Flux: a failing release whose namespace, name, message and revision are hostile.
	const object = { kind: 'HelmRelease', namespace: hostile(6), name: hostile(7) }
	await sendAll(
		fluxEvent({ ...object, at: 0, metadata: { revision: `main@sha1:${sha('xss')}` } }),
		...[60, 120].map((at) =>
			fluxEvent({
				...object,
				at,
				severity: 'error',
				reason: 'UpgradeFailed',
				message: `Helm upgrade failed: ${hostile(8)}`,
				metadata: { revision: `6.5.3+${hostile(9)}` },
			}),
		),
	)
	expect(
		await env.DB.prepare('SELECT COUNT(*) AS n FROM flux_events').first<{ n: number }>(),
	).toEqual({ n: 3 })
	pages.dashboard = await page('/')
})

describe('hostile values on the dashboard pages', () => {
	for (const [n, source] of Object.entries(SOURCES)) {
		it(`${source} is shown as text, never as markup`, () => {
			const all = Object.values(pages).join('\n')
			expect(all).not.toContain(`<x-xss-${n}`)
			expect(all).toContain(`&lt;x-xss-${n}&gt;`)
			// The quote that would close an attribute is escaped wherever the value is an attribute.
			for (const tag of all.matchAll(/<[a-z][^>]*>/g)) {
				expect(tag[0]).not.toContain(`x-xss-${n}`)
			}
		})
	}
})
