import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { d1PreflightStore } from '../../src/adapters/d1/preflight-results.ts'
import type { PreflightResult } from '../../src/domain/preflight/ports.ts'
import {
	adminGet,
	fluxEvent,
	kustomizationApplied,
	resetLedger,
	sendAll,
	sha,
} from './support/flux.ts'
import { useEdge } from './support/network.ts'

useEdge()

const OWNERSHIP_FAILURE =
	'Helm install failed for release web/shop with chart shop@1.2.0: Unable to continue with install: ConfigMap "shop-cfg" in namespace "web" exists and cannot be imported into the current release: invalid ownership metadata; annotation validation error: missing key "meta.helm.sh/release-name": must be set to "shop"'

function preflight(
	commitSha: string,
	status: PreflightResult['status'],
	conflictCount: number,
): PreflightResult {
	return {
		commitSha,
		deliveryId: null,
		ref: 'refs/heads/main',
		status,
		conflictCount,
		filesChanged: 2,
		filesChecked: 2,
		cutOff: null,
		findings: [],
		summary: conflictCount > 0 ? `${conflictCount} ownership conflicts` : 'no ownership conflict',
		error: null,
		checkedAt: Date.parse('2026-01-02T02:59:00Z'),
	}
}

interface DeploymentPage {
	items: {
		commitSha: string | null
		preflight: { status: string; caughtOwnershipFailure: boolean | null } | null
	}[]
}

beforeEach(resetLedger)

describe('the Flux ledger links an ownership failure to the pre-flight check of its commit', () => {
	for (const [name, status, conflicts, caught] of [
		[
			'says the check would have caught it when it flagged conflicts on that commit',
			'conflicts',
			2,
			true,
		],
		['says it did not when the check passed the commit', 'clean', 0, false],
	] as const) {
		it(name, async () => {
			const commit = sha(status)
			await d1PreflightStore(env.DB).record(preflight(commit, status, conflicts))
			await sendAll(
				kustomizationApplied('apps', commit, 0),
				fluxEvent({
					kind: 'HelmRelease',
					namespace: 'web',
					name: 'shop',
					severity: 'error',
					reason: 'InstallFailed',
					message: OWNERSHIP_FAILURE,
					metadata: { revision: '1.2.0' },
					at: 5,
				}),
			)
			const { body } = await adminGet<DeploymentPage>(`/api/deployments?commit=${commit}`)
			expect(body.items[0]?.preflight).toMatchObject({ status, caughtOwnershipFailure: caught })
		})
	}

	it('shows "not run" for a commit without a check, and no verdict without an ownership failure', async () => {
		const commit = sha('unchecked')
		await sendAll(kustomizationApplied('apps', commit, 200))
		const { body } = await adminGet<DeploymentPage>(`/api/deployments?commit=${commit}`)
		expect(body.items[0]?.preflight).toMatchObject({
			status: 'not-run',
			caughtOwnershipFailure: null,
		})
	})
})
