/**
 * @module What one egress check changes in the state kept between checks: the damped tracks (the
 * agent, each node's reachability, each node × target cell) and the outage windows of the cells.
 *
 * Damping policy (`EGRESS_DAMPING`): a change is confirmed after 2 agreeing observations in a
 * row, both ways; at the five-minute cron that is an alert 5-10 minutes after a real change and
 * none for a single blip. A new track is presumed ok: a new cell that fails needs the same 2
 * failing samples, while its first ok sample confirms ok silently. `unknown` observations (agent
 * or node unreachable, no result, overloaded, stale) are not fed in at all: they neither break
 * nor extend a streak, and never move a state.
 *
 * Outage windows follow the damped state but keep the real times: a window opens when failing is
 * confirmed and starts at the first failing sample of that streak; it ends at the first ok sample
 * of the streak that confirmed the recovery. A window also ends when its target is removed from
 * tidegate.yaml or its node has been gone from every answer for `NODE_GONE_MS`.
 */

import {
	type DampingPolicy,
	type Health,
	newTrack,
	observe,
	type Track,
	type Transition,
} from '../transitions.ts'
import type {
	CellObservation,
	EgressOutage,
	NodeObservation,
	Observed,
	StoredTrack,
	TrackKind,
} from './model.ts'

/** Consecutive agreeing observations that confirm a change (see the module comment). */
export const EGRESS_DAMPING: DampingPolicy = { failAfter: 2, recoverAfter: 2 }

/** A node absent from every complete answer for this long is gone: its cells and outages end. */
export const NODE_GONE_MS = 60 * 60 * 1000

/** A confirmed change of the agent, a node or a cell. */
export interface EgressTransition {
	kind: TrackKind
	node: string
	target: string
	transition: Transition
	/** The observation that confirmed it (cells). */
	cell?: CellObservation
	/** The node observation that confirmed it (nodes). */
	nodeObservation?: NodeObservation
	/** Cells: when the outage began (to ok) or begins (to failing). */
	outageStartedAt?: number
	/** Cells, to ok: when the outage ended (the first ok sample of the recovery). */
	outageEndedAt?: number
}

/** A new outage window. */
export interface OutageOpen {
	node: string
	target: string
	startedAt: number
	firstError: string | null
	failingSamples: number
}

/** What one check changes. */
export interface TrackingUpdate {
	upserts: StoredTrack[]
	deletes: { kind: TrackKind; node: string; target: string }[]
	opens: OutageOpen[]
	/** Another failing sample in an open window. */
	touches: { id: number; lastError: string | null }[]
	closes: { id: number; endedAt: number; reason: 'recovered' | 'target-removed' | 'node-gone' }[]
	transitions: EgressTransition[]
}

/** The input of one check. */
export interface TrackingInput {
	tracks: StoredTrack[]
	openOutages: EgressOutage[]
	/** Whether the agent gave a valid answer. */
	agentOk: boolean
	nodes: NodeObservation[]
	cells: CellObservation[]
	/** The targets of this check. */
	targets: string[]
	/** The targets came from tidegate.yaml (not a fallback): tracks of other targets may go. */
	targetsAuthoritative: boolean
	/** The answer lists every node (peer discovery worked): nodes absent long enough are gone. */
	answerComplete: boolean
	now: number
	policy?: DampingPolicy
}

const trackKey = (kind: TrackKind, node: string, target: string) =>
	`${kind}\u0000${node}\u0000${target}`
const cellKey = (node: string, target: string) => `${node}\u0000${target}`

/**
 * `observe` with one difference: a track that has never been confirmed is presumed ok, so it
 * needs `failAfter` failures like any other before it becomes failing.
 */
export function observeDamped(
	track: Track,
	seen: Health,
	at: number,
	policy: DampingPolicy,
): { track: Track; transition: Transition | null } {
	if (track.state !== 'unknown' || seen !== 'failing') {
		return observe(track, seen, at, policy)
	}
	const next = observe({ ...track, state: 'ok' }, seen, at, policy)
	if (next.transition) {
		return {
			track: next.track,
			transition: { ...next.transition, from: 'unknown', lastedMs: null },
		}
	}
	return { track: { ...next.track, state: 'unknown' }, transition: null }
}

/** Applies one check's observations; pure. */
export function trackCheck(input: TrackingInput): TrackingUpdate {
	const policy = input.policy ?? EGRESS_DAMPING
	const now = input.now
	const previous = new Map(input.tracks.map((t) => [trackKey(t.kind, t.node, t.target), t]))
	const open = new Map(input.openOutages.map((o) => [cellKey(o.node, o.target), o]))
	const update: TrackingUpdate = {
		upserts: [],
		deletes: [],
		opens: [],
		touches: [],
		closes: [],
		transitions: [],
	}

	const feed = (
		kind: TrackKind,
		node: string,
		target: string,
		seen: Observed,
	): { track: StoredTrack; transition: Transition | null; streakStart: number; streak: number } => {
		const prev: StoredTrack = previous.get(trackKey(kind, node, target)) ?? {
			...newTrack(now),
			kind,
			node,
			target,
			candidateSince: null,
			lastObserved: null,
			lastSeenAt: now,
		}
		if (seen === 'unknown') {
			const track = { ...prev, lastObserved: seen }
			update.upserts.push(track)
			return { track, transition: null, streakStart: now, streak: 0 }
		}
		const streakStart = prev.candidate === seen ? (prev.candidateSince ?? now) : now
		const streak = prev.candidate === seen ? prev.streak + 1 : 1
		const next = observeDamped(prev, seen, now, policy)
		const track: StoredTrack = {
			...next.track,
			kind,
			node,
			target,
			candidateSince: next.track.candidate === null ? null : streakStart,
			lastObserved: seen,
			lastSeenAt: now,
		}
		update.upserts.push(track)
		return { track, transition: next.transition, streakStart, streak }
	}

	const agent = feed('agent', '', '', input.agentOk ? 'ok' : 'failing')
	if (agent.transition) {
		update.transitions.push({ kind: 'agent', node: '', target: '', transition: agent.transition })
	}

	const present = new Set<string>()
	if (input.agentOk) {
		for (const n of input.nodes) {
			if (n.missing) {
				continue
			}
			present.add(n.node)
			const seen: Observed = n.stale ? 'unknown' : n.reachable ? 'ok' : 'failing'
			const fed = feed('node', n.node, '', seen)
			if (fed.transition) {
				update.transitions.push({
					kind: 'node',
					node: n.node,
					target: '',
					transition: fed.transition,
					nodeObservation: n,
				})
			}
		}
	}

	for (const cell of input.cells) {
		const key = trackKey('cell', cell.node, cell.target)
		if (cell.observed === 'unknown') {
			// Unknown never creates a track; it only records that the newest sample said nothing.
			const prev = previous.get(key)
			if (prev) {
				update.upserts.push({ ...prev, lastObserved: 'unknown' })
			}
			continue
		}
		const fed = feed('cell', cell.node, cell.target, cell.observed)
		const window = open.get(cellKey(cell.node, cell.target))
		if (fed.transition?.to === 'failing') {
			if (!window) {
				update.opens.push({
					node: cell.node,
					target: cell.target,
					startedAt: fed.streakStart,
					firstError: cell.error,
					failingSamples: fed.streak,
				})
			}
			update.transitions.push({
				kind: 'cell',
				node: cell.node,
				target: cell.target,
				transition: fed.transition,
				cell,
				outageStartedAt: window?.startedAt ?? fed.streakStart,
			})
			continue
		}
		if (fed.transition?.to === 'ok') {
			if (window) {
				update.closes.push({ id: window.id, endedAt: fed.streakStart, reason: 'recovered' })
			}
			update.transitions.push({
				kind: 'cell',
				node: cell.node,
				target: cell.target,
				transition: fed.transition,
				cell,
				...(window ? { outageStartedAt: window.startedAt, outageEndedAt: fed.streakStart } : {}),
			})
			continue
		}
		if (cell.observed === 'failing' && window) {
			update.touches.push({ id: window.id, lastError: cell.error })
		}
	}

	const closing = new Set<number>(update.closes.map((c) => c.id))
	const targets = new Set(input.targets)
	const endCell = (node: string, target: string, reason: 'target-removed' | 'node-gone') => {
		update.deletes.push({ kind: 'cell', node, target })
		const window = open.get(cellKey(node, target))
		if (window && !closing.has(window.id)) {
			closing.add(window.id)
			update.closes.push({ id: window.id, endedAt: now, reason })
		}
	}
	const gone = new Set<string>()
	if (input.agentOk && input.answerComplete) {
		for (const t of input.tracks) {
			if (t.kind === 'node' && !present.has(t.node) && now - t.lastSeenAt >= NODE_GONE_MS) {
				gone.add(t.node)
				update.deletes.push({ kind: 'node', node: t.node, target: '' })
			}
		}
	}
	for (const t of input.tracks) {
		if (t.kind !== 'cell') {
			continue
		}
		if (gone.has(t.node)) {
			endCell(t.node, t.target, 'node-gone')
		} else if (input.targetsAuthoritative && !targets.has(t.target)) {
			endCell(t.node, t.target, 'target-removed')
		}
	}
	// Windows whose track is already gone (e.g. a target removed while the agent was down).
	for (const o of input.openOutages) {
		if (closing.has(o.id)) {
			continue
		}
		if (gone.has(o.node)) {
			closing.add(o.id)
			update.closes.push({ id: o.id, endedAt: now, reason: 'node-gone' })
		} else if (input.targetsAuthoritative && !targets.has(o.target)) {
			closing.add(o.id)
			update.closes.push({ id: o.id, endedAt: now, reason: 'target-removed' })
		}
	}
	const deleted = new Set(update.deletes.map((d) => trackKey(d.kind, d.node, d.target)))
	update.upserts = update.upserts.filter((t) => !deleted.has(trackKey(t.kind, t.node, t.target)))
	return update
}
