/**
 * The edge's last line of defence, as one property over the adapter (the official SDK and
 * src/adapters/cloudflare/split-tunnel.ts), the planner and the writer (src/app/edge/sync.ts)
 * together: whatever Cloudflare answers to the reads of a device profile — `result: null`, no
 * result, no mode, both modes, an empty or cut-short list, an entry missing its description, an
 * HTML 502, a truncated body, `success: false` — no other team's entry is ever lost and the
 * profile's mode never changes. The truth is the contract-checked stand-in; only the answers to
 * reads are corrupted, one generated script per run; writes reach it as sent.
 *
 * tidegate has history, as in steady state: it wrote the list once before, after which other teams
 * kept editing theirs. (On a first sync, an answer that is wrong consistently everywhere — both
 * the profile and its list claiming to be empty — cannot be told from an empty list: docs/safety.md.)
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { cloudflareEdgeApis } from '../../../src/adapters/cloudflare/edge-apis.ts'
import { createCallLog } from '../../../src/adapters/recording-fetch.ts'
import { applySync, type EdgeSyncDeps, planSync } from '../../../src/app/edge/sync.ts'
import type { SplitTunnelEntry } from '../../../src/domain/edge/state.ts'
import { memoryApplications } from '../../helpers/memory-applications.ts'
import {
	DEFAULT_ACCOUNT_ID,
	defaultCloudflareSeed,
	TUNNEL_TOKEN,
	ZERO_TRUST_TOKEN,
} from '../../standins/cloudflare/seed.ts'
import { createCloudflareStandin } from '../../standins/cloudflare/standin.ts'
import { desired } from './support.ts'

const RUNS = Number(process.env.FC_RUNS ?? 150)

const yaml = (entries: string[]) => `version: 1
owner: oceanid
splitTunnel:
  accountId: ${DEFAULT_ACCOUNT_ID}
  include:
${entries.map((a, i) => `    - address: ${a}\n      description: Net ${i}\n      tunnelRoute: false`).join('\n')}
`

/** How one read of the profile, or of its list, is answered. */
type Answer =
	| 'truth'
	| 'result-null'
	| 'no-result'
	| 'no-mode'
	| 'both-modes'
	| 'empty'
	| 'cut-short'
	| 'no-description'
	| 'html-502'
	| 'truncated'
	| 'success-false'

const profileAnswer = fc.constantFrom<Answer>(
	'truth',
	'result-null',
	'no-result',
	'no-mode',
	'both-modes',
	'empty',
	'html-502',
	'truncated',
	'success-false',
)
const listAnswer = fc.constantFrom<Answer>(
	'truth',
	'result-null',
	'no-result',
	'empty',
	'cut-short',
	'no-description',
	'html-502',
	'truncated',
	'success-false',
)

const foreignEntry = fc.integer({ min: 0, max: 200 }).map(
	(i): SplitTunnelEntry => ({
		address: `172.${16 + (i % 16)}.${i}.0/24`,
		description: `Team ${i}`,
	}),
)

const scenario = fc.record({
	foreign: fc.uniqueArray(foreignEntry, { minLength: 2, maxLength: 6, selector: (e) => e.address }),
	before: fc.uniqueArray(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 5 }),
	after: fc.uniqueArray(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 5 }),
	/** Another team adds one entry after tidegate's write (a live list is never frozen). */
	added: fc.option(
		foreignEntry.map((e) => ({ ...e, description: 'Added later' })),
		{ nil: undefined },
	),
	mode: fc.constantFrom('include' as const, 'exclude' as const),
	profileAnswers: fc.array(profileAnswer, { maxLength: 4 }),
	listAnswers: fc.array(listAnswer, { maxLength: 4 }),
})

/** Serves reads from the script while it lasts, the truth after; writes always reach the truth. */
function corrupting(
	standin: ReturnType<typeof createCloudflareStandin>,
	script: { profile: Answer[]; list: Answer[] },
): typeof fetch {
	return async (input, init) => {
		const request = new Request(input, init)
		const path = new URL(request.url).pathname
		const truth = await standin.fetch(request)
		if (request.method !== 'GET' || !path.includes('/devices/policy')) {
			return truth
		}
		const isList = /\/(include|exclude)$/.test(path)
		const answer = (isList ? script.list : script.profile).shift() ?? 'truth'
		return corrupt((await truth.json()) as { result: unknown }, answer)
	}
}

function corrupt(body: { result: unknown }, answer: Answer): Response {
	const json = (value: unknown, status = 200) =>
		new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } })
	const result = structuredClone(body.result) as Record<string, unknown> | SplitTunnelEntry[]
	switch (answer) {
		case 'truth':
			return json(body)
		case 'result-null':
			return json({ ...body, result: null })
		case 'no-result':
			return json({ success: true, errors: [], messages: [] })
		case 'no-mode': {
			const profile = result as Record<string, unknown>
			delete profile.include
			delete profile.exclude
			return json({ ...body, result: profile })
		}
		case 'both-modes':
			return json({ ...body, result: { include: [], exclude: [], ...(result as object) } })
		case 'empty':
			if (Array.isArray(result)) {
				return json({ ...body, result: [] })
			}
			return json({
				...body,
				result: { ...result, ...('include' in result ? { include: [] } : { exclude: [] }) },
			})
		case 'cut-short':
			return json({ ...body, result: (result as SplitTunnelEntry[]).slice(1) })
		case 'no-description':
			return json({
				...body,
				result: (result as SplitTunnelEntry[]).map((e, i) => {
					const { description: _, ...rest } = e
					return i === 0 ? rest : e
				}),
			})
		case 'html-502':
			return new Response('<html><body>502 Bad Gateway</body></html>', {
				status: 502,
				headers: { 'content-type': 'text/html' },
			})
		case 'truncated':
			return new Response(JSON.stringify(body).slice(0, 40), {
				status: 200,
				headers: { 'content-type': 'application/json' },
			})
		case 'success-false':
			return json({
				success: false,
				errors: [{ code: 1000, message: 'oops' }],
				messages: [],
				result: null,
			})
	}
}

function deps(fetchImpl: typeof fetch, applications: EdgeSyncDeps['applications']): EdgeSyncDeps {
	const apis = cloudflareEdgeApis({
		baseURL: 'https://api.cloudflare.test/client/v4',
		tunnelToken: TUNNEL_TOKEN,
		zeroTrustToken: ZERO_TRUST_TOKEN,
		dnsToken: undefined,
		calls: createCallLog(),
		fetch: fetchImpl,
	})
	return {
		now: () => Date.now(),
		sleep: async () => {},
		convergence: { windowMs: 0, pollMs: 0 },
		applications,
		pinnedOwner: undefined,
		tunnelApi: apis.tunnelApi,
		splitTunnelApi: apis.splitTunnelApi,
		dnsApi: undefined,
		routesApi: apis.routesApi,
	}
}

async function sync(d: EdgeSyncDeps, text: string, runId: number): Promise<void> {
	const planned = await planSync(d, desired(text), false)
	if (planned.ok && !planned.value.plan.refused && !planned.value.plan.inSync) {
		await applySync(d, planned.value, { runId, commitSha: null })
	}
}

describe('adapter + planner + writer, against any answer to a read', () => {
	it("never loses another team's entry and never changes the profile's mode", async () => {
		await fc.assert(
			fc.asyncProperty(scenario, async (s) => {
				const standin = createCloudflareStandin()
				const seed = defaultCloudflareSeed()
				const account = seed.accounts[0]
				if (!account?.deviceProfiles) {
					throw new Error('the default seed has a default profile')
				}
				account.deviceProfiles.default = { [s.mode]: s.foreign }
				standin.reset(seed)
				const cidr = (i: number) => `10.${40 + i}.0.0/16`
				const text = (set: number[]) =>
					yaml(set.map(cidr)).replace(
						'  include:',
						s.mode === 'include' ? '  include:' : '  exclude:',
					)
				const applications = memoryApplications()
				// tidegate's earlier write, answered truthfully; then another team edits its entries.
				await sync(
					deps((i, init) => standin.fetch(new Request(i, init)), applications),
					text(s.before),
					1,
				)
				if (s.added) {
					const added = { address: String(s.added.address), description: 'Added later' }
					standin.handEdit({
						kind: 'split-tunnel',
						accountId: DEFAULT_ACCOUNT_ID,
						list: (list) =>
							list.some((e) => 'address' in e && e.address === added.address)
								? list
								: [...list, added],
					})
				}
				const before = standin.profile(DEFAULT_ACCOUNT_ID)
				const foreignBefore = before.list.filter(
					(e) => !String(e.description).endsWith(' - oceanid'),
				)
				// This run: every read may be answered wrongly.
				const script = { profile: [...s.profileAnswers], list: [...s.listAnswers] }
				await sync(deps(corrupting(standin, script), applications), text(s.after), 2)
				const after = standin.profile(DEFAULT_ACCOUNT_ID)
				expect(after.mode).toBe(before.mode)
				for (const entry of foreignBefore) {
					expect(after.list).toContainEqual(entry)
				}
			}),
			{ numRuns: RUNS },
		)
	}, 120_000)
})
