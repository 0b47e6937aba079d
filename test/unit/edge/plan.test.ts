// The tunnel and split-tunnel planners (src/domain/edge/kinds/tunnel.ts, split-tunnel.ts), each
// on its own, through the plan they make (src/domain/edge/plan.ts) and its text (render-plan.ts).
import { describe, expect, it } from 'vitest'
import type { DesiredState, IngressRule } from '../../../src/domain/desired-state/model.ts'
import {
	type AppliedSplitTunnel,
	planSplitTunnel,
	type RecordedEntry,
} from '../../../src/domain/edge/kinds/split-tunnel.ts'
import { type AppliedTunnel, planTunnel } from '../../../src/domain/edge/kinds/tunnel.ts'
import {
	type LiveRead,
	type Plan,
	planOf,
	type ResourcePlan,
} from '../../../src/domain/edge/plan.ts'
import { renderPlan, summarisePlan } from '../../../src/domain/edge/render-plan.ts'
import { ownershipFrom } from '../../../src/domain/edge/resources.ts'
import type {
	LiveSplitTunnel,
	LiveTunnelConfig,
	SplitTunnelEntry,
} from '../../../src/domain/edge/state.ts'
import { err, ok } from '../../../src/lib/result.ts'
import { ACCOUNT, desired, history, TUNNEL } from './support.ts'

/** What one case gives the planners: live reads and what tidegate last wrote. */
interface Case {
	live: { tunnel?: LiveRead<LiveTunnelConfig>; splitTunnel?: LiveRead<LiveSplitTunnel> }
	applied: { tunnel?: AppliedTunnel; splitTunnel?: AppliedSplitTunnel }
	force: boolean
}

/** Plans the tunnel and the first profile of `state` with the kind planners. */
function planCase(state: DesiredState, inputs: Case): Plan {
	const rails = { maxDeletions: state.sync.maxDeletions, force: inputs.force }
	const resources: ResourcePlan[] = []
	if (state.tunnel) {
		resources.push(planTunnel(state.tunnel, inputs.live.tunnel, inputs.applied.tunnel, rails))
	}
	const profile = state.splitTunnels[0]
	if (profile) {
		const applied = inputs.applied.splitTunnel
		const ownership = ownershipFrom(
			'split-tunnel',
			state.owner,
			applied ? history('split-tunnel', applied) : undefined,
		)
		resources.push(planSplitTunnel(profile, inputs.live.splitTunnel, applied, ownership, rails))
	}
	return planOf(resources)
}

const tunnelYaml = (rules: string, extra = '') => `
version: 1
owner: oceanid
tunnel:
  accountId: ${ACCOUNT}
  tunnelId: ${TUNNEL}
  ingress:
${rules}
${extra}`

const RULES = `    - hostname: label.example.com
      service: http://label-studio-ls-app.apps.svc.cluster.local:8085
    - hostname: k3s.example.com
      service: https://kubernetes.default.svc:443`

const liveTunnel = (ingress: IngressRule[], version = 7): LiveTunnelConfig => ({ version, ingress })
const label: IngressRule = {
	hostname: 'label.example.com',
	service: 'http://label-studio-ls-app.apps.svc.cluster.local:8085',
}
const k3s: IngressRule = {
	hostname: 'k3s.example.com',
	service: 'https://kubernetes.default.svc:443',
}
const catchAll: IngressRule = { service: 'http_status:404' }

function tunnelInputs(live: LiveTunnelConfig, applied?: IngressRule[], force = false): Case {
	return {
		live: { tunnel: ok(live) },
		applied: applied ? { tunnel: { ingress: applied } } : {},
		force,
	}
}

describe('tunnel ingress planning', () => {
	it('is in sync, with no changes, when live equals desired (the catch-all included)', () => {
		const plan = planCase(
			desired(tunnelYaml(RULES)),
			tunnelInputs(liveTunnel([label, k3s, catchAll])),
		)
		expect(plan.inSync).toBe(true)
		expect(plan.changeCount).toBe(0)
		expect(summarisePlan(plan)).toBe('in sync: nothing to change')
	})

	it('treats the empty strings and objects Cloudflare returns as absent', () => {
		const live = liveTunnel([
			{ ...label, path: '', originRequest: {} },
			{ ...k3s, hostname: 'K3S.example.com' },
			{ hostname: '', service: 'http_status:404' },
		])
		expect(planCase(desired(tunnelYaml(RULES)), tunnelInputs(live)).inSync).toBe(true)
	})

	it('renders the whole document to PUT, catch-all last', () => {
		const plan = planCase(desired(tunnelYaml(RULES)), tunnelInputs(liveTunnel([catchAll])))
		const tunnel = plan.resources[0]
		expect(tunnel?.kind).toBe('tunnel')
		expect(tunnel?.kind === 'tunnel' && tunnel.document.ingress).toEqual([label, k3s, catchAll])
	})

	it('says a change came from a commit when Cloudflare still holds what tidegate wrote', () => {
		const wrong = { ...label, service: 'http://label-studio.apps.svc.cluster.local:8080' }
		const plan = planCase(
			desired(tunnelYaml(RULES)),
			tunnelInputs(liveTunnel([wrong, k3s, catchAll]), [wrong, k3s, catchAll]),
		)
		expect(plan.resources[0]?.changes).toEqual([
			expect.objectContaining({
				action: 'update',
				key: 'label.example.com',
				before: wrong,
				after: label,
				cause: 'commit',
			}),
		])
	})

	it('says a change is a hand edit when git still says what tidegate wrote', () => {
		const edited = { ...label, service: 'http://label-studio.apps.svc.cluster.local:8080' }
		const plan = planCase(
			desired(tunnelYaml(RULES)),
			tunnelInputs(liveTunnel([edited, k3s, catchAll]), [label, k3s, catchAll]),
		)
		expect(plan.resources[0]?.changes).toEqual([
			expect.objectContaining({ action: 'update', cause: 'hand-edit' }),
		])
		expect(renderPlan(plan)).toContain('hand edit in the dashboard')
	})

	it('attributes a rule added in the dashboard as a hand edit to remove', () => {
		const extra: IngressRule = { hostname: 'debug.example.com', service: 'http://debug:80' }
		const plan = planCase(
			desired(tunnelYaml(RULES)),
			tunnelInputs(liveTunnel([label, extra, k3s, catchAll]), [label, k3s, catchAll]),
		)
		expect(plan.resources[0]?.changes).toEqual([
			expect.objectContaining({ action: 'remove', key: 'debug.example.com', cause: 'hand-edit' }),
		])
	})

	it('reports a reorder as moves, not as removals and additions', () => {
		const plan = planCase(
			desired(tunnelYaml(RULES)),
			tunnelInputs(liveTunnel([k3s, label, catchAll]), [label, k3s, catchAll]),
		)
		const changes = plan.resources[0]?.changes ?? []
		expect(changes.map((c) => c.action)).toEqual(['reorder'])
		expect(changes[0]).toMatchObject({ cause: 'hand-edit' })
	})

	it('marks changes as first-sync when tidegate has never written the tunnel', () => {
		const plan = planCase(desired(tunnelYaml(RULES)), tunnelInputs(liveTunnel([catchAll])))
		expect(plan.resources[0]?.changes.map((c) => [c.action, c.cause])).toEqual([
			['add', 'first-sync'],
			['add', 'first-sync'],
		])
	})

	it('removes a duplicate rule a hand edit left behind (it can never match)', () => {
		const plan = planCase(
			desired(tunnelYaml(RULES)),
			tunnelInputs(liveTunnel([label, label, k3s, catchAll]), [label, k3s, catchAll]),
		)
		expect(plan.resources[0]?.changes).toEqual([
			expect.objectContaining({ action: 'remove', key: 'label.example.com' }),
		])
		const tunnel = plan.resources[0]
		expect(tunnel?.kind === 'tunnel' && tunnel.document.ingress).toEqual([label, k3s, catchAll])
	})

	it('refuses more deletions than sync.maxDeletions, and force overrides only that', () => {
		const many = Array.from({ length: 6 }, (_, i) => ({
			hostname: `old${i}.example.com`,
			service: 'http://old:80',
		}))
		const yaml = tunnelYaml(RULES, 'sync:\n  maxDeletions: 5\n')
		const refused = planCase(
			desired(yaml),
			tunnelInputs(liveTunnel([...many, label, k3s, catchAll])),
		)
		expect(refused.refused).toBe(true)
		expect(refused.resources[0]?.refusals).toEqual([
			expect.objectContaining({
				rail: 'max-deletions',
				message: expect.stringContaining('removes 6 tunnel ingress rules'),
			}),
		])
		const forced = planCase(
			desired(yaml),
			tunnelInputs(liveTunnel([...many, label, k3s, catchAll]), undefined, true),
		)
		expect(forced.refused).toBe(false)
		expect(forced.changeCount).toBe(6)
	})

	it('refuses to leave only the catch-all, even with force', () => {
		const yaml = tunnelYaml('    []').replace('  ingress:\n    []', '  ingress: []')
		const plan = planCase(
			desired(yaml),
			tunnelInputs(liveTunnel([label, catchAll]), undefined, true),
		)
		expect(plan.resources[0]?.refusals.map((r) => r.rail)).toEqual(['empty-list'])
	})

	it('refuses to plan against a live state that could not be read', () => {
		const plan = planCase(desired(tunnelYaml(RULES)), {
			live: { tunnel: err('503 from Cloudflare') },
			applied: {},
			force: true,
		})
		expect(plan.refused).toBe(true)
		expect(plan.resources[0]?.refusals[0]).toMatchObject({ rail: 'unreadable' })
		expect(plan.resources[0]?.refusals[0]?.message).toContain('503 from Cloudflare')
	})

	it('ignores warp-routing when the API does not report it (it would drift forever)', () => {
		const yaml = tunnelYaml(RULES).replace('  ingress:', '  warpRouting: true\n  ingress:')
		expect(planCase(desired(yaml), tunnelInputs(liveTunnel([label, k3s, catchAll]))).inSync).toBe(
			true,
		)
		const live = { ...liveTunnel([label, k3s, catchAll]), warpRouting: false }
		expect(planCase(desired(yaml), tunnelInputs(live)).resources[0]?.changes).toEqual([
			expect.objectContaining({ key: 'warp-routing', before: false, after: true }),
		])
	})
})

const splitYaml = (entries: string, extra = '') => `
version: 1
owner: oceanid
splitTunnel:
  accountId: ${ACCOUNT}
  include:
${entries}
${extra}`

const ENTRIES = `    - address: 10.42.0.0/16
      description: K8s Pod Network
    - address: 10.43.0.0/16
      description: K8s Service Network
      protected: true
    - address: 192.168.2.0/24
      description: Calypso GPU`

const pod = { address: '10.42.0.0/16', description: 'K8s Pod Network - oceanid' }
const svc = { address: '10.43.0.0/16', description: 'K8s Service Network - oceanid' }
const gpu = { address: '192.168.2.0/24', description: 'Calypso GPU - oceanid' }
const otherTeam: SplitTunnelEntry[] = [
	{ address: '172.16.0.0/12', description: 'Data team VPC' },
	{ host: 'intranet.example.com', description: 'Intranet - it' },
	{ address: '100.64.0.0/10', description: 'CGNAT', extra: 'kept' },
]

const liveSplit = (entries: SplitTunnelEntry[]): LiveSplitTunnel => ({ mode: 'include', entries })

function splitInputs(live: LiveSplitTunnel, appliedEntries?: RecordedEntry[], force = false): Case {
	return {
		live: { splitTunnel: ok(live) },
		applied: appliedEntries ? { splitTunnel: { entries: appliedEntries } } : {},
		force,
	}
}

describe('split-tunnel include planning', () => {
	it("adds the owner's entries and keeps other teams' entries exactly, in their order", () => {
		const plan = planCase(desired(splitYaml(ENTRIES)), splitInputs(liveSplit(otherTeam)))
		const split = plan.resources[0]
		expect(split?.kind === 'split-tunnel' && split.document).toEqual([...otherTeam, pod, svc, gpu])
		expect(split?.changes.map((c) => c.action)).toEqual(['add', 'add', 'add'])
	})

	it('is in sync regardless of where our entries sit among foreign ones', () => {
		const live = liveSplit([
			otherTeam[0] as SplitTunnelEntry,
			gpu,
			otherTeam[1] as SplitTunnelEntry,
			pod,
			svc,
		])
		expect(planCase(desired(splitYaml(ENTRIES)), splitInputs(live)).inSync).toBe(true)
	})

	it('removes only owned entries that left git, never a foreign one', () => {
		const stale = { address: '10.99.0.0/16', description: 'Old lab - oceanid' }
		const live = liveSplit([...otherTeam, pod, stale, svc, gpu])
		const plan = planCase(
			desired(splitYaml(ENTRIES)),
			splitInputs(live, [{ ...stale, protected: false }]),
		)
		expect(plan.resources[0]?.changes).toEqual([
			expect.objectContaining({ action: 'remove', key: 'address:10.99.0.0/16', cause: 'commit' }),
		])
		const split = plan.resources[0]
		expect(split?.kind === 'split-tunnel' && split.document).toEqual([...otherTeam, pod, svc, gpu])
	})

	it('does not take over an entry another owner already has, and says so', () => {
		const theirs = { address: '10.42.0.0/16', description: 'Pods (platform team)' }
		const plan = planCase(desired(splitYaml(ENTRIES)), splitInputs(liveSplit([theirs, svc, gpu])))
		const split = plan.resources[0]
		expect(split?.changes).toEqual([])
		expect(split?.warnings[0]).toContain(
			"10.42.0.0/16 is already in the list as someone else's entry",
		)
		expect(split?.kind === 'split-tunnel' && split.document).toEqual([theirs, svc, gpu])
	})

	it('updates a description changed in the dashboard back, as a hand edit', () => {
		const edited = { ...gpu, description: 'GPU box - oceanid' }
		const plan = planCase(
			desired(splitYaml(ENTRIES)),
			splitInputs(
				liveSplit([pod, svc, edited]),
				[pod, svc, gpu].map((e) => ({ ...e, protected: e === svc })),
			),
		)
		expect(plan.resources[0]?.changes).toEqual([
			expect.objectContaining({ action: 'update', cause: 'hand-edit', after: gpu }),
		])
	})

	it('refuses to remove a protected entry, even with force', () => {
		const withoutService = `    - address: 10.42.0.0/16
      description: K8s Pod Network
    - address: 192.168.2.0/24
      description: Calypso GPU`
		const plan = planCase(
			desired(splitYaml(withoutService)),
			splitInputs(
				liveSplit([pod, svc, gpu]),
				[
					{ ...pod, protected: false },
					{ ...svc, protected: true },
					{ ...gpu, protected: false },
				],
				true,
			),
		)
		expect(plan.refused).toBe(true)
		expect(plan.resources[0]?.refusals).toEqual([
			expect.objectContaining({
				rail: 'protected-entry',
				message: expect.stringContaining('10.43.0.0/16 is protected'),
			}),
		])
	})

	it('refuses to write an include list to a profile in exclude mode (Cloudflare would wipe it)', () => {
		const twelve = Array.from({ length: 12 }, (_, i) => ({ address: `10.${i}.0.0/16` }))
		const plan = planCase(desired(splitYaml(ENTRIES)), {
			live: { splitTunnel: ok({ mode: 'exclude', entries: twelve }) },
			applied: {},
			force: true,
		})
		expect(plan.resources[0]?.refusals).toEqual([expect.objectContaining({ rail: 'mode-switch' })])
		expect(plan.resources[0]?.refusals[0]?.message).toContain('12 exclude entries')
	})

	it('refuses more deletions than sync.maxDeletions unless forced', () => {
		const stale = Array.from({ length: 3 }, (_, i) => ({
			address: `10.9${i}.0.0/16`,
			description: `Lab ${i} - oceanid`,
		}))
		const yaml = splitYaml(ENTRIES, 'sync:\n  maxDeletions: 2\n')
		const written = [pod, svc, gpu, ...stale].map((e) => ({ ...e, protected: false }))
		const live = liveSplit([pod, svc, gpu, ...stale])
		expect(planCase(desired(yaml), splitInputs(live, written)).refused).toBe(true)
		expect(planCase(desired(yaml), splitInputs(live, written, true)).refused).toBe(false)
	})

	it('matches a live entry written in another address form to ours (no churn for the same network)', () => {
		const v6 = `    - address: fd00:10::/32\n      description: IPv6 pods`
		const live = liveSplit([{ address: 'FD00:0010:0000::/32', description: 'IPv6 pods - oceanid' }])
		expect(planCase(desired(splitYaml(v6)), splitInputs(live)).inSync).toBe(true)
		const other = { address: 'fd00:11::/32', description: 'IPv6 pods - oceanid' }
		const written = [{ ...other, protected: false }]
		expect(
			planCase(desired(splitYaml(v6)), splitInputs(liveSplit([other]), written)).changeCount,
		).toBe(2)
	})
})
