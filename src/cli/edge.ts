/**
 * @module `tidegate plan [file]` and `tidegate apply [file] [--force]`: the Worker's edge-sync core
 * against the live Cloudflare API (`CF_API_BASE_URL`, `CF_TUNNEL_API_TOKEN`,
 * `CF_ZERO_TRUST_API_TOKEN` from the environment). The CLI keeps no history, so its diff cannot
 * tell commits from hand edits, and it records nothing.
 */
import { createDevicesClient, createTunnelClient } from '../adapters/cloudflare/client.ts'
import { cloudflareSplitTunnelApi } from '../adapters/cloudflare/split-tunnel.ts'
import { cloudflareTunnelApi } from '../adapters/cloudflare/tunnel.ts'
import { createCallLog } from '../adapters/recording-fetch.ts'
import { unconfiguredSplitTunnelApi, unconfiguredTunnelApi } from '../adapters/unconfigured.ts'
import { isSet } from '../app/config.ts'
import { applySync, type EdgeSyncDeps, planSync } from '../app/edge/sync.ts'
import { loadDesiredState } from '../domain/desired-state/load.ts'
import { formatDiagnostic } from '../domain/diagnostics.ts'
import type { ApplicationStore } from '../domain/edge/ports.ts'
import { renderPlan } from '../domain/edge/render-plan.ts'
import type { Io } from './main.ts'
import { readText } from './validate.ts'

/** Exit codes of plan/apply. */
export const EXIT = { inSync: 0, applied: 0, error: 1, pending: 2 } as const

/** Plans (and with `apply`, writes) the desired state in `file`. */
export async function edgeCommand(
	mode: 'plan' | 'apply',
	file: string,
	options: { force: boolean; env: Record<string, string | undefined> },
	io: Io,
): Promise<number> {
	const text = await readText(file, io)
	if (text === undefined) {
		return EXIT.error
	}
	const loaded = loadDesiredState(text)
	if (!loaded.ok) {
		for (const d of loaded.error) {
			io.out(formatDiagnostic(file, d))
		}
		io.err(`${file}: invalid; nothing planned`)
		return EXIT.error
	}
	const calls = createCallLog()
	const deps = cliDeps(options.env, calls)
	const planned = await planSync(deps, loaded.value.state, options.force)
	if (!planned.ok) {
		io.err(`tidegate: ${planned.error.message}`)
		return EXIT.error
	}
	const { plan } = planned.value
	io.out(renderPlan(plan, { causes: false }))
	if (plan.refused) {
		io.err('\nrefused: nothing will be written (see REFUSED above)')
		return EXIT.error
	}
	if (plan.inSync) {
		io.out(`\nin sync: nothing to change (${calls.since(0).length} API reads)`)
		return EXIT.inSync
	}
	if (mode === 'plan') {
		io.out(
			`\n${plan.changeCount} change${plan.changeCount === 1 ? '' : 's'} pending; run \`tidegate apply\` to write them`,
		)
		return EXIT.pending
	}
	const applied = await applySync(deps, planned.value, { runId: null, commitSha: null })
	for (const warning of applied.warnings) {
		io.out(`warning: ${warning}`)
	}
	if (!applied.result.ok) {
		const failure = applied.result.error
		io.err(
			failure.kind === 'refused'
				? `refused after re-planning:\n${renderPlan(failure.plan, { causes: false })}`
				: `tidegate: apply failed: ${failure.failure.message}`,
		)
		return EXIT.error
	}
	const writes = calls.since(0).filter((c) => c.method === 'PUT').length
	io.out(
		`\napplied: ${applied.result.value.changeCount} changes in ${writes} write${writes === 1 ? '' : 's'}`,
	)
	return EXIT.applied
}

/** The CLI keeps no applied history: every plan is made as if tidegate had never written. */
const noHistory: ApplicationStore = {
	latestTunnel: async () => undefined,
	latestSplitTunnel: async () => undefined,
	previousTunnel: async () => undefined,
	previousSplitTunnel: async () => undefined,
	record: async () => {},
}

function cliDeps(
	env: Record<string, string | undefined>,
	calls: ReturnType<typeof createCallLog>,
): EdgeSyncDeps {
	const baseURL = isSet(env.CF_API_BASE_URL)
		? env.CF_API_BASE_URL
		: 'https://api.cloudflare.com/client/v4'
	return {
		now: () => Date.now(),
		applications: noHistory,
		tunnelApi: isSet(env.CF_TUNNEL_API_TOKEN)
			? cloudflareTunnelApi(
					createTunnelClient({ apiToken: env.CF_TUNNEL_API_TOKEN, baseURL, calls }),
				)
			: unconfiguredTunnelApi('CF_TUNNEL_API_TOKEN'),
		splitTunnelApi: isSet(env.CF_ZERO_TRUST_API_TOKEN)
			? cloudflareSplitTunnelApi(
					createDevicesClient({ apiToken: env.CF_ZERO_TRUST_API_TOKEN, baseURL, calls }),
				)
			: unconfiguredSplitTunnelApi('CF_ZERO_TRUST_API_TOKEN'),
	}
}
