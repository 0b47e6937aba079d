/**
 * @module `tidegate plan [file]` and `tidegate apply [file] [--force]`: the Worker's edge-sync core
 * against the live Cloudflare API (`CF_API_BASE_URL`, `CF_TUNNEL_API_TOKEN`,
 * `CF_ZERO_TRUST_API_TOKEN`, `CF_DNS_API_TOKEN`, `TIDEGATE_OWNER` from the environment). The CLI
 * keeps no history: its diff cannot tell commits from hand edits, and since nothing is known to
 * be tidegate's, it never removes an entry, record or route of a shared resource (removals go
 * through the Worker, which remembers what it wrote and what is protected). A 429 is waited out
 * (its Retry-After, at most RATE_LIMIT_BUDGET_SECONDS in all), then the command gives up.
 */
import { cloudflareEdgeApis, withEdgeApis } from '../adapters/cloudflare/edge-apis.ts'
import { createCallLog } from '../adapters/recording-fetch.ts'
import { CONFIG, isSet } from '../app/config.ts'
import {
	type ApplyOutcome,
	applySync,
	type EdgeSyncDeps,
	type PlannedSync,
	planSync,
} from '../app/edge/sync.ts'
import { loadDesiredState } from '../domain/desired-state/load.ts'
import type { DesiredState } from '../domain/desired-state/model.ts'
import { formatDiagnostic } from '../domain/diagnostics.ts'
import type { ApplicationStore } from '../domain/edge/ports.ts'
import { renderPlan } from '../domain/edge/render-plan.ts'
import type { ApiFailure } from '../domain/ports.ts'
import type { Result } from '../lib/result.ts'
import type { Io } from './main.ts'
import { readText } from './validate.ts'

/** Exit codes of plan/apply. */
export const EXIT = { inSync: 0, applied: 0, error: 1, pending: 2 } as const

/** The longest the CLI waits out rate limits, in all, before it gives up. */
export const RATE_LIMIT_BUDGET_SECONDS = 60

/** Plans (and with `apply`, writes) the desired state in `file`. */
export async function edgeCommand(
	mode: 'plan' | 'apply',
	file: string,
	options: {
		force: boolean
		env: Record<string, string | undefined>
		sleep?: (ms: number) => Promise<void>
	},
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
	const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)))
	const deps = cliDeps(options.env, calls, sleep)
	const patience = rateLimitPatience(io, sleep)
	const state = loaded.value.state
	const planned = await patience(() => planSync(deps, state, options.force))
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
	const applied = await applyWithPatience(deps, planned.value, state, options.force, patience)
	for (const warning of applied.warnings) {
		io.out(`warning: ${warning}`)
	}
	if (!applied.result.ok) {
		const failure = applied.result.error
		io.err(
			failure.kind === 'refused'
				? `refused after re-planning:\n${renderPlan(failure.plan, { causes: false })}`
				: failure.kind === 'verification'
					? `tidegate: DANGER: after writing ${failure.resource}: ${failure.problems.join('; ')}. ${failure.restored}`
					: `tidegate: apply failed: ${failure.failure.message}`,
		)
		return EXIT.error
	}
	const writes = calls.since(0).filter((c) => c.method !== 'GET').length
	io.out(
		`\napplied: ${applied.result.value.changeCount} changes in ${writes} write${writes === 1 ? '' : 's'}`,
	)
	return EXIT.applied
}

/**
 * Applying after a 429 starts over from a fresh plan: the state may have moved while waiting,
 * and a plan is only ever applied against the read it was made from.
 */
async function applyWithPatience(
	deps: EdgeSyncDeps,
	first: PlannedSync,
	state: DesiredState,
	force: boolean,
	patience: ReturnType<typeof rateLimitPatience>,
): Promise<ApplyOutcome> {
	let planned = first
	for (;;) {
		const outcome = await applySync(deps, planned, { runId: null, commitSha: null })
		const failure = outcome.result.ok ? undefined : outcome.result.error
		if (failure?.kind !== 'api' || failure.failure.kind !== 'rate_limited') {
			return outcome
		}
		const waited = await patience.wait(failure.failure)
		if (!waited) {
			return outcome
		}
		const replanned = await patience(() => planSync(deps, state, force))
		if (!replanned.ok) {
			return {
				result: { ok: false, error: { kind: 'api', failure: replanned.error } },
				warnings: [],
			}
		}
		planned = replanned.value
	}
}

/** Retries a call after each 429 for its Retry-After, within one budget for the whole command. */
function rateLimitPatience(io: Io, sleep: (ms: number) => Promise<void>) {
	let left = RATE_LIMIT_BUDGET_SECONDS
	const wait = async (failure: ApiFailure): Promise<boolean> => {
		const seconds = failure.retryAfterSeconds ?? 1
		if (seconds > left) {
			io.err(
				`tidegate: Cloudflare asks to wait ${seconds} s (429); that is past the ${RATE_LIMIT_BUDGET_SECONDS} s this command waits in all, so it stops. Run it again later`,
			)
			return false
		}
		left -= seconds
		io.err(`tidegate: Cloudflare rate limit (429); waiting ${seconds} s as it asks`)
		await sleep(seconds * 1000)
		return true
	}
	const patience = async <T>(
		call: () => Promise<Result<T, ApiFailure>>,
	): Promise<Result<T, ApiFailure>> => {
		for (;;) {
			const result = await call()
			if (result.ok || result.error.kind !== 'rate_limited' || !(await wait(result.error))) {
				return result
			}
		}
	}
	return Object.assign(patience, { wait })
}

/** The CLI keeps no history: nothing is known to be tidegate's, and nothing is recorded. */
const noHistory: ApplicationStore = {
	history: async () => undefined,
	begin: async () => 0,
	settle: async () => {},
	rollbackTarget: async () => undefined,
	lastOwner: async () => undefined,
}

function cliDeps(
	env: Record<string, string | undefined>,
	calls: ReturnType<typeof createCallLog>,
	sleep: (ms: number) => Promise<void>,
): EdgeSyncDeps {
	const set = (value: string | undefined) => (isSet(value) ? value.trim() : undefined)
	const apis = cloudflareEdgeApis({
		baseURL: set(env.CF_API_BASE_URL) ?? CONFIG.CF_API_BASE_URL.default,
		tunnelToken: set(env.CF_TUNNEL_API_TOKEN),
		zeroTrustToken: set(env.CF_ZERO_TRUST_API_TOKEN),
		dnsToken: set(env.CF_DNS_API_TOKEN),
		calls,
	})
	return withEdgeApis(
		{
			now: () => Date.now(),
			sleep,
			convergence: { windowMs: 30_000, pollMs: 2_000 },
			applications: noHistory,
			pinnedOwner: set(env.TIDEGATE_OWNER),
		},
		apis,
	)
}
