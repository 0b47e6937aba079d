// The routes kind (src/domain/edge/kinds/routes.ts) and the route checks of the desired state
// (src/domain/desired-state/model.ts): WARP reaches a network only through include + route.
import { describe, expect, it } from 'vitest'
import { type AppliedRoutes, planRoutes } from '../../../src/domain/edge/kinds/routes.ts'
import { edgeResources, ownershipFrom } from '../../../src/domain/edge/resources.ts'
import type { LiveRoute } from '../../../src/domain/edge/state.ts'
import { ok } from '../../../src/lib/result.ts'
import { diagnosticsOf } from '../desired-state/support.ts'
import { ACCOUNT, desired, history, TUNNEL } from './support.ts'

const OTHER_TUNNEL = '11111111-2222-4333-8444-555555555555'

const yaml = (
	routes: string | null,
	include: string,
	options: { warp?: boolean } = {},
) => `version: 1
owner: oceanid
tunnel:
  accountId: ${ACCOUNT}
  tunnelId: ${TUNNEL}
${options.warp === false ? '' : '  warpRouting: true\n'}  ingress: []
${routes === null ? '' : `  routes:\n${routes}`}
splitTunnel:
  accountId: ${ACCOUNT}
  include:
${include}
`

const PODS = `    - network: 10.42.0.0/16
      comment: K8s Pod Network`
const SERVICES = `    - network: 10.43.0.0/16
      comment: K8s Service Network`
const INCLUDE = `    - address: 10.42.0.0/16
      description: K8s Pod Network
    - address: 10.43.0.0/16
      description: K8s Service Network`

const officeVpn: LiveRoute = {
	id: 'route-office',
	network: '10.8.0.0/16',
	tunnelId: OTHER_TUNNEL,
	comment: 'Office VPN - netops',
	tunnelName: 'office',
}
const ours = (network: string, comment: string, id = `route-${network}`): LiveRoute => ({
	id,
	network,
	tunnelId: TUNNEL,
	comment: `${comment} - oceanid`,
})

function routesPlan(text: string, live: LiveRoute[], applied?: AppliedRoutes, force = false) {
	const state = desired(text)
	const spec = edgeResources(state).find((s) => s.kind === 'routes')
	if (spec?.kind !== 'routes') {
		throw new Error('no routes resource')
	}
	const ownership = ownershipFrom('routes', 'oceanid', applied && history(spec.resource, applied))
	return planRoutes(spec.desired, ok({ routes: live }), applied, ownership, {
		maxDeletions: state.sync.maxDeletions,
		force,
	})
}

describe('private-network routes', () => {
	it("creates a route per network to the tunnel and leaves other teams' routes alone", () => {
		const plan = routesPlan(yaml(`${PODS}\n${SERVICES}`, INCLUDE), [officeVpn])
		expect(plan.ops).toEqual([
			{
				op: 'create',
				route: { network: '10.42.0.0/16', tunnelId: TUNNEL, comment: 'K8s Pod Network - oceanid' },
			},
			{
				op: 'create',
				route: {
					network: '10.43.0.0/16',
					tunnelId: TUNNEL,
					comment: 'K8s Service Network - oceanid',
				},
			},
		])
		expect(plan.foreign).toEqual(['route-office 10.8.0.0/16'])
		expect(plan.warnings).toEqual([])
	})

	it('is in sync when the routes exist, whatever their order', () => {
		const live = [
			ours('10.43.0.0/16', 'K8s Service Network'),
			officeVpn,
			ours('10.42.0.0/16', 'K8s Pod Network'),
		]
		const applied = {
			routes: [
				{ network: '10.42.0.0/16', comment: 'K8s Pod Network - oceanid' },
				{ network: '10.43.0.0/16', comment: 'K8s Service Network - oceanid' },
			],
		}
		const plan = routesPlan(yaml(`${PODS}\n${SERVICES}`, INCLUDE), live, applied)
		expect(plan.changes).toEqual([])
		expect(plan.routedHere.sort()).toEqual(['10.42.0.0/16', '10.43.0.0/16'])
	})

	it('refuses a network another route already carries, naming it, unless adopt: true', () => {
		const theirs: LiveRoute = {
			...officeVpn,
			id: 'route-theirs',
			network: '10.42.0.0/16',
			comment: 'Pods (platform)',
		}
		const refused = routesPlan(yaml(`${PODS}\n${SERVICES}`, INCLUDE), [theirs])
		expect(refused.refusals).toEqual([
			{
				rail: 'foreign-conflict',
				message: expect.stringContaining(
					'10.42.0.0/16 is already routed by a route tidegate did not create (to tunnel office, comment "Pods (platform)", id route-theirs)',
				),
			},
		])
		const adopted = routesPlan(yaml(`${PODS}\n      adopt: true\n${SERVICES}`, INCLUDE), [theirs])
		expect(adopted.refusals).toEqual([])
		expect(adopted.ops[0]).toEqual({
			op: 'edit',
			id: 'route-theirs',
			route: { network: '10.42.0.0/16', tunnelId: TUNNEL, comment: 'K8s Pod Network - oceanid' },
		})
		expect(adopted.changes[0]?.action).toBe('adopt')
	})

	it('removes its own routes that left tidegate.yaml, never one it did not write', () => {
		const stray = ours('10.99.0.0/16', 'Old lab')
		const applied = {
			routes: [
				{ network: '10.42.0.0/16', comment: 'K8s Pod Network - oceanid' },
				{ network: '10.43.0.0/16', comment: 'K8s Service Network - oceanid' },
			],
		}
		const live = [
			ours('10.42.0.0/16', 'K8s Pod Network'),
			ours('10.43.0.0/16', 'K8s Service Network'),
			stray,
			officeVpn,
		]
		const plan = routesPlan(
			yaml(PODS, `    - address: 10.42.0.0/16\n      description: K8s Pod Network`),
			live,
			applied,
		)
		expect(plan.ops).toEqual([{ op: 'delete', id: 'route-10.43.0.0/16', network: '10.43.0.0/16' }])
		expect(plan.warnings.join('\n')).toContain(
			'the route 10.99.0.0/16 to this tunnel ends with "oceanid"',
		)
	})

	it('only checks when tidegate.yaml does not manage routes: an include CIDR without one is named', () => {
		const plan = routesPlan(yaml(null, INCLUDE), [ours('10.42.0.0/16', 'by hand'), officeVpn])
		expect(plan.managed).toBe(false)
		expect(plan.ops).toEqual([])
		expect(plan.warnings).toEqual([
			expect.stringContaining('no route sends 10.43.0.0/16 to this tunnel'),
		])
	})
})

describe('routes in tidegate.yaml', () => {
	it('an owned include CIDR without a route is an error, at the entry', () => {
		expect(diagnosticsOf(yaml(PODS, INCLUDE))).toEqual([
			expect.stringMatching(
				/^\d+:\d+ splitTunnel\.include\[1\]\.address 10\.43\.0\.0\/16 has no route in tunnel\.routes/,
			),
		])
	})

	it('tunnelRoute: false says another tunnel or connector routes it', () => {
		expect(diagnosticsOf(yaml(PODS, `${INCLUDE}\n      tunnelRoute: false`))).toEqual([])
	})

	it('a route no include entry covers is a warning (WARP never sends traffic there)', () => {
		const routes = `${PODS}\n${SERVICES}\n    - network: 10.99.0.0/16`
		expect(diagnosticsOf(yaml(routes, INCLUDE))).toEqual([
			expect.stringMatching(
				/tunnel\.routes\[2\]\.network warning: WARP never sends traffic for 10\.99\.0\.0\/16 into the tunnel/,
			),
		])
	})

	it('routes need warpRouting: true', () => {
		expect(diagnosticsOf(yaml(`${PODS}\n${SERVICES}`, INCLUDE, { warp: false }))).toEqual([
			expect.stringMatching(/tunnel\.routes private-network routes need warpRouting: true/),
		])
	})

	it('overlapping routes in one virtual network are an error', () => {
		expect(
			diagnosticsOf(yaml(`${PODS}\n${SERVICES}\n    - network: 10.42.1.0/24`, INCLUDE)),
		).toEqual([expect.stringContaining('10.42.1.0/24 lies inside routes[0] (10.42.0.0/16)')])
	})
})
