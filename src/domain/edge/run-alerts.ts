/**
 * @module Alerts about the edge that need a person: a refused plan, a run that failed for good or
 * was dead-lettered, a drift correction that overwrote a hand edit of the shared list, a tunnel
 * with no connected cloudflared, a token an API refused. Each is a damped state (transitions.ts)
 * kept per key, so an alert goes out once per confirmed change, never per retry or per drift tick.
 * Pure: observations in, the next state and the text to send out.
 */
import { type DampingPolicy, type Health, observe, type Track } from '../transitions.ts'
import type { Change, Plan, ResourcePlan } from './plan.ts'
import type { RunStatus, RunTrigger } from './runs.ts'
import type { SplitTunnelEntry } from './state.ts'

/** The damped state of one alert, as stored. */
export interface AlertState {
	track: Track
	/** What the failing state is about (a rail, an error code, a permission); null while ok. */
	fingerprint: string | null
}

/** Damped alert states by key (D1 `alert_tracks`). */
export interface AlertTrackStore {
	get(key: string): Promise<(AlertState & { version: number }) | undefined>
	/** Writes the state if the stored version is still `version` (0: none yet); false when another writer won. */
	put(key: string, state: AlertState, version: number, at: number): Promise<boolean>
	/** Keys starting with `prefix` whose damped state is failing. */
	failing(prefix: string): Promise<string[]>
}

/** One observation of an alert's subject. */
export interface AlertObservation {
	key: string
	seen: Health
	/** For `failing`: what it is about; a different one while failing alerts again. */
	fingerprint: string | null
	/** For `ok`: recover only a failure whose fingerprint is one of these (absent: any). */
	covers?: readonly string[]
	/** Sent when this observation confirms the failure (or a different one). */
	failingText: string
	/** Sent when it confirms the recovery; null recovers silently. */
	recoveryText: string | null
	policy: DampingPolicy
}

/** Deterministic failures alert at once and one success recovers. */
export const AT_ONCE: DampingPolicy = { failAfter: 1, recoverAfter: 1 }

/** A tunnel without connectors for two drift ticks in a row (a cloudflared restart takes seconds). */
export const NO_CONNECTOR_POLICY: DampingPolicy = { failAfter: 2, recoverAfter: 1 }

/** Applies one observation: the next state, and the text to send, if any. */
export function stepAlert(
	previous: AlertState | undefined,
	observation: AlertObservation,
	at: number,
): { next: AlertState; text: string | null } {
	// Presumed healthy: silence before the first observation is not news.
	const state = previous ?? {
		track: { state: 'ok', since: at, candidate: null, streak: 0 },
		fingerprint: null,
	}
	const unrelated =
		observation.seen === 'ok' &&
		observation.covers !== undefined &&
		state.fingerprint !== null &&
		!observation.covers.includes(state.fingerprint)
	if (unrelated) {
		return { next: state, text: null }
	}
	const { track, transition } = observe(state.track, observation.seen, at, observation.policy)
	if (transition?.to === 'failing') {
		return {
			next: { track, fingerprint: observation.fingerprint },
			text: observation.failingText,
		}
	}
	if (transition?.to === 'ok') {
		return { next: { track, fingerprint: null }, text: observation.recoveryText }
	}
	if (
		observation.seen === 'failing' &&
		track.state === 'failing' &&
		observation.fingerprint !== state.fingerprint
	) {
		return {
			next: { track, fingerprint: observation.fingerprint },
			text: observation.failingText,
		}
	}
	return { next: { track, fingerprint: state.fingerprint }, text: null }
}

/** A run as it ended, for its alerts. */
export interface EndedRun {
	id: number
	trigger: RunTrigger
	dryRun: boolean
	status: RunStatus
	commitSha: string | null
	plan: Plan | undefined
	errorCode: string | null
	errorMessage: string | null
	warnings: string[]
}

/** Alert keys. */
export const ALERT_KEYS = {
	refused: 'edge.refused',
	run: 'edge.run',
	token: (name: string) => `token:${name}`,
	handEdit: (resource: string) => `edge.hand-edit:${resource}`,
	connectors: (tunnelId: string) => `tunnel:${tunnelId}:connectors`,
} as const

/** The token the repository is read with, and what a reconcile run needs of it. */
const REPOSITORY_TOKEN = 'GITHUB_TOKEN'
const REPOSITORY_READ = 'Contents: read'

/**
 * What a finished run says about each alert. Dry runs say nothing (an operator is looking at
 * them). `failingTokens` are the token keys now failing: a run that got as far as a plan used its
 * Cloudflare tokens and read the repository, so it speaks to those.
 */
export function runObservations(
	run: EndedRun,
	failingTokens: readonly string[],
	publicUrl: string | undefined,
): AlertObservation[] {
	if (run.dryRun) {
		return []
	}
	const where = `run ${run.id}, ${run.trigger}${run.commitSha ? `, commit ${run.commitSha.slice(0, 7)}` : ''}`
	const link = publicUrl ? `\nRun: ${publicUrl}/runs/${run.id}` : ''
	if (run.status === 'failed' || run.status === 'dead') {
		const token = run.errorCode?.endsWith('_auth')
			? tokenObservation(run.errorMessage ?? '', `reconciling the edge (${where})`)
			: null
		if (token) {
			return [token]
		}
		const what = run.status === 'dead' ? 'was dead-lettered' : 'failed'
		return [
			{
				key: ALERT_KEYS.run,
				seen: 'failing',
				fingerprint: run.errorCode ?? run.status,
				failingText: `[tidegate] Edge run ${what} (${where}): ${run.errorCode ?? run.status}: ${run.errorMessage ?? 'no message'}. Nothing more is retried; the next push or drift check tries again.${link}`,
				recoveryText: null,
				policy: AT_ONCE,
			},
		]
	}
	const observations: AlertObservation[] = [
		{
			key: ALERT_KEYS.run,
			seen: 'ok',
			fingerprint: null,
			failingText: '',
			recoveryText: `[tidegate] Edge runs succeed again (${where}: ${run.status.replace('_', ' ')}).${link}`,
			policy: AT_ONCE,
		},
		...failingTokens.map((key) => tokenRecovery(key, where)),
	]
	if (!run.plan) {
		return observations
	}
	observations.push(refusedObservation(run, where, link))
	if (run.status === 'applied' || run.status === 'in_sync') {
		observations.push(...handEditObservations(run, where, link))
	}
	observations.push(...connectorObservations(run))
	return observations
}

function tokenRecovery(key: string, where: string): AlertObservation {
	const name = key.slice('token:'.length)
	return {
		key,
		seen: 'ok',
		fingerprint: null,
		// The run read the repository, nothing more of GITHUB_TOKEN; every Cloudflare token it used worked.
		...(name === REPOSITORY_TOKEN && { covers: [REPOSITORY_READ] }),
		failingText: '',
		recoveryText: `[tidegate] ${name} is accepted again (${where}).`,
		policy: AT_ONCE,
	}
}

/**
 * A token refusal from an API failure message (`<NAME> was refused (…); it needs <permission>`, as
 * the GitHub and Cloudflare adapters word it), or null when the message is not one.
 */
export function tokenObservation(message: string, doing: string): AlertObservation | null {
	const match =
		/^([A-Z][A-Z0-9_]*) was refused \((.*)\); it needs (.+?)(?: on (?:the repository|this account))?$/s.exec(
			message,
		)
	if (!match?.[1] || !match[3]) {
		return null
	}
	return {
		key: ALERT_KEYS.token(match[1]),
		seen: 'failing',
		fingerprint: match[3],
		failingText: `[tidegate] ${match[1]} was refused while ${doing} (${match[2]}); it needs ${match[3]}. Give the token that permission or replace it: nothing that needs it happens until then.`,
		recoveryText: null,
		policy: AT_ONCE,
	}
}

/** The token's permissions a finished job exercised, for recoveries of `token:<name>`. */
export function tokenWorked(
	name: string,
	permissions: readonly string[],
	doing: string,
): AlertObservation {
	return {
		key: ALERT_KEYS.token(name),
		seen: 'ok',
		fingerprint: null,
		covers: permissions,
		failingText: '',
		recoveryText: `[tidegate] ${name} is accepted again (${doing}).`,
		policy: AT_ONCE,
	}
}

function refusedObservation(run: EndedRun, where: string, link: string): AlertObservation {
	const refusedResources = (run.plan?.resources ?? []).filter((r) => r.refusals.length > 0)
	const refused = run.status === 'refused' && refusedResources.length > 0
	const lines = refusedResources.flatMap((r) => [
		...r.refusals.map((x) => `${resourceLabel(r)}: ${x.rail}: ${x.message}`),
		...entryLines(
			r,
			r.changes.filter((c) => c.action === 'remove'),
		).map((l) => `  would remove ${l}`),
	])
	return {
		key: ALERT_KEYS.refused,
		seen: refused ? 'failing' : 'ok',
		fingerprint: refused
			? JSON.stringify(refusedResources.flatMap((r) => r.refusals.map((x) => [r.resource, x.rail])))
			: null,
		failingText: `[tidegate] Edge plan refused (${where}); nothing was written:\n${capLines(lines)}${link}`,
		recoveryText: `[tidegate] The edge plan is no longer refused (${where}: ${run.status.replace('_', ' ')}).${link}`,
		policy: AT_ONCE,
	}
}

const HAND_EDIT_CAUSES = new Set(['hand-edit', 'commit-and-hand-edit'])

function handEditObservations(run: EndedRun, where: string, link: string): AlertObservation[] {
	return (run.plan?.resources ?? [])
		.filter((r) => r.kind === 'split-tunnel')
		.map((resource) => {
			const overwritten =
				run.status === 'applied'
					? resource.changes.filter((c) => HAND_EDIT_CAUSES.has(c.cause))
					: []
			const lines = entryLines(resource, overwritten)
			return {
				key: ALERT_KEYS.handEdit(resource.resource),
				seen: overwritten.length > 0 ? 'failing' : 'ok',
				fingerprint: overwritten.length > 0 ? JSON.stringify(lines) : null,
				failingText: `[tidegate] ${run.trigger === 'drift' ? 'Drift correction' : 'A sync'} overwrote a hand edit of the shared ${resourceLabel(resource)} (${where}):\n${capLines(lines)}\nTo keep such an entry, add it to tidegate.yaml (or give it another team's description suffix).${link}`,
				recoveryText: null,
				policy: AT_ONCE,
			} satisfies AlertObservation
		})
}

/**
 * The connector alert from the run's plan: every reconcile (the drift tick's too) reads the
 * tunnel's connectors into its plan, so a tunnel left without cloudflared is seen within a tick.
 */
function connectorObservations(run: EndedRun): AlertObservation[] {
	return (run.plan?.resources ?? []).flatMap((resource) =>
		resource.kind === 'tunnel' && resource.connectors
			? [connectorObservation(resource.tunnelId, resource.connectors.count)]
			: [],
	)
}

/** What a read of a tunnel's connectors says: `0` none connected, a count or null (some) when not. */
export function connectorObservation(tunnelId: string, connected: number | null): AlertObservation {
	return {
		key: ALERT_KEYS.connectors(tunnelId),
		seen: connected === 0 ? 'failing' : 'ok',
		fingerprint: connected === 0 ? 'none' : null,
		failingText: `[tidegate] Tunnel ${tunnelId} has no connected cloudflared: its public hostnames do not answer, and configuration changes wait until a connector starts. Check the cloudflared pods.`,
		recoveryText: `[tidegate] Tunnel ${tunnelId} has a connected cloudflared again.`,
		policy: NO_CONNECTOR_POLICY,
	}
}

function resourceLabel(resource: ResourcePlan): string {
	switch (resource.kind) {
		case 'tunnel':
			return `tunnel ${resource.tunnelId} ingress`
		case 'split-tunnel':
			return `split-tunnel ${resource.mode} list (${resource.policy === 'default' ? 'default profile' : `profile ${resource.policy}`})`
		case 'dns':
			return `DNS records of tunnel ${resource.tunnelId}`
		case 'routes':
			return `private-network routes to tunnel ${resource.tunnelId}`
	}
}

/** `target: before → after` per change, in words. */
function entryLines(resource: ResourcePlan, changes: Change<unknown>[]): string[] {
	return changes.map((change) => {
		const target = change.key.replace(/^(address|host):/, '')
		if (resource.kind === 'tunnel') {
			return `${target} (${change.action})`
		}
		const text = (entry: unknown) =>
			entry === undefined ? null : `"${(entry as SplitTunnelEntry).description ?? ''}"`
		const before = text(change.before) ?? '(absent)'
		const after = text(change.after) ?? '(removed)'
		return `${target}: ${before} → ${after}`
	})
}

/** At most 20 lines; the rest counted. */
function capLines(lines: string[], max = 20): string {
	const shown = lines.slice(0, max).map((l) => (l.startsWith('  ') ? l : `  ${l}`))
	return [...shown, ...(lines.length > max ? [`  … and ${lines.length - max} more`] : [])].join(
		'\n',
	)
}
