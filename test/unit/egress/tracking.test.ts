import { describe, expect, it } from 'vitest'
import type {
	CellObservation,
	EgressOutage,
	NodeObservation,
	Observed,
	StoredTrack,
} from '../../../src/domain/egress/model.ts'
import {
	NODE_GONE_MS,
	type TrackingInput,
	type TrackingUpdate,
	trackCheck,
} from '../../../src/domain/egress/tracking.ts'

const node = (name: string, reachable: boolean | null = true): NodeObservation => ({
	node: name,
	reachable,
	error: reachable === false ? 'refused' : null,
	message: null,
	observedAt: 0,
	durationMs: 1,
	stale: false,
	missing: false,
	egressIp: null,
	egressIpObservedAt: null,
	egressIpError: null,
})

const cell = (n: string, target: string, observed: Observed, error?: string): CellObservation => ({
	node: n,
	target,
	observed,
	unknownReason: observed === 'unknown' ? 'agent-unreachable' : null,
	latencyMs: observed === 'unknown' ? null : 1,
	error: observed === 'failing' ? (error ?? 'timeout') : null,
	phase: null,
	message: null,
	detail: null,
	note: null,
	observedAt: 0,
})

/**
 * A little store that applies each update the way the D1 adapter does, so a sequence of checks
 * can be replayed: tracks upserted/deleted, outage windows opened, touched and closed.
 */
function world() {
	let tracks: StoredTrack[] = []
	let outages: EgressOutage[] = []
	let nextId = 1
	const updates: TrackingUpdate[] = []
	const key = (t: { kind: string; node: string; target: string }) =>
		`${t.kind}|${t.node}|${t.target}`
	return {
		get tracks() {
			return tracks
		},
		get outages() {
			return outages
		},
		updates,
		check(input: Omit<TrackingInput, 'tracks' | 'openOutages'>): TrackingUpdate {
			const update = trackCheck({
				...input,
				tracks,
				openOutages: outages.filter((o) => o.endedAt === null),
			})
			updates.push(update)
			const deleted = new Set(update.deletes.map(key))
			const byKey = new Map(tracks.filter((t) => !deleted.has(key(t))).map((t) => [key(t), t]))
			for (const t of update.upserts) {
				byKey.set(key(t), t)
			}
			tracks = [...byKey.values()]
			for (const c of update.closes) {
				outages = outages.map((o) =>
					o.id === c.id && o.endedAt === null
						? { ...o, endedAt: c.endedAt, durationMs: c.endedAt - o.startedAt, endReason: c.reason }
						: o,
				)
			}
			for (const t of update.touches) {
				outages = outages.map((o) =>
					o.id === t.id
						? { ...o, lastError: t.lastError, failingSamples: o.failingSamples + 1 }
						: o,
				)
			}
			for (const o of update.opens) {
				outages.push({
					id: nextId++,
					node: o.node,
					target: o.target,
					startedAt: o.startedAt,
					endedAt: null,
					durationMs: null,
					firstError: o.firstError,
					lastError: o.firstError,
					failingSamples: o.failingSamples,
					endReason: null,
				})
			}
			return update
		},
	}
}

const base = {
	agentOk: true,
	targets: ['db'],
	targetsAuthoritative: true,
	answerComplete: true,
}

/** Feeds one cell's observations, one check per minute; returns transitions as text. */
function replay(seen: Observed[]) {
	const w = world()
	const transitions: string[] = []
	seen.forEach((observed, i) => {
		const update = w.check({
			...base,
			nodes: [node('n1')],
			cells: [cell('n1', 'db', observed)],
			now: i * 60_000,
		})
		for (const t of update.transitions.filter((x) => x.kind === 'cell')) {
			transitions.push(`${t.transition.from}→${t.transition.to}@${i}`)
		}
	})
	return { w, transitions }
}

describe('damping of a cell', () => {
	it('confirms a new cell that is ok at once, silently (unknown → ok)', () => {
		expect(replay(['ok']).transitions).toEqual(['unknown→ok@0'])
	})

	it('presumes a new cell ok: failing needs two samples, like any other', () => {
		expect(replay(['failing']).transitions).toEqual([])
		expect(replay(['failing', 'failing']).transitions).toEqual(['unknown→failing@1'])
	})

	it('needs two failing samples in a row for ok → failing, two ok ones for the way back', () => {
		expect(replay(['ok', 'failing', 'failing', 'ok', 'ok']).transitions).toEqual([
			'unknown→ok@0',
			'ok→failing@2',
			'failing→ok@4',
		])
	})

	it('ignores a cell that flaps every other sample', () => {
		expect(replay(['ok', 'failing', 'ok', 'failing', 'ok', 'failing']).transitions).toEqual([
			'unknown→ok@0',
		])
	})

	it('lets unknown samples neither break nor extend a streak', () => {
		expect(replay(['ok', 'failing', 'unknown', 'failing']).transitions).toEqual([
			'unknown→ok@0',
			'ok→failing@3',
		])
		expect(replay(['ok', 'unknown', 'unknown', 'unknown']).transitions).toEqual(['unknown→ok@0'])
	})

	it('never creates a track for a cell only ever unknown', () => {
		const { w } = replay(['unknown', 'unknown'])
		expect(w.tracks.filter((t) => t.kind === 'cell')).toEqual([])
	})
})

describe('outage windows', () => {
	it('opens at the first failing sample of the confirmed streak and ends at the first ok one', () => {
		const { w } = replay(['ok', 'failing', 'failing', 'failing', 'ok', 'ok'])
		expect(w.outages).toEqual([
			{
				id: 1,
				node: 'n1',
				target: 'db',
				startedAt: 60_000,
				endedAt: 240_000,
				durationMs: 180_000,
				firstError: 'timeout',
				lastError: 'timeout',
				failingSamples: 3,
				endReason: 'recovered',
			},
		])
	})

	it('opens no window for a blip', () => {
		expect(replay(['ok', 'failing', 'ok', 'ok']).w.outages).toEqual([])
	})

	it('keeps a window open through unknown samples and a single ok', () => {
		const { w } = replay(['ok', 'failing', 'failing', 'unknown', 'ok', 'unknown', 'failing'])
		expect(w.outages).toHaveLength(1)
		expect(w.outages[0]).toMatchObject({ endedAt: null, failingSamples: 3 })
	})

	it('reports when the outage began and ended on the transitions', () => {
		const { w } = replay(['ok', 'failing', 'failing', 'ok', 'ok'])
		const [, down, up] = w.updates.flatMap((u) => u.transitions.filter((t) => t.kind === 'cell'))
		expect(down).toMatchObject({ outageStartedAt: 60_000 })
		expect(up).toMatchObject({ outageStartedAt: 60_000, outageEndedAt: 180_000 })
	})

	it('ends the windows of a target removed from tidegate.yaml, and forgets its cells', () => {
		const w = world()
		for (const now of [0, 60_000]) {
			w.check({ ...base, nodes: [node('n1')], cells: [cell('n1', 'db', 'failing')], now })
		}
		expect(w.outages[0]?.endedAt).toBeNull()
		w.check({ ...base, targets: [], nodes: [node('n1')], cells: [], now: 120_000 })
		expect(w.outages[0]).toMatchObject({ endedAt: 120_000, endReason: 'target-removed' })
		expect(w.tracks.filter((t) => t.kind === 'cell')).toEqual([])
	})

	it('keeps windows of targets it cannot see when the targets are a fallback', () => {
		const w = world()
		for (const now of [0, 60_000]) {
			w.check({ ...base, nodes: [node('n1')], cells: [cell('n1', 'db', 'failing')], now })
		}
		w.check({
			...base,
			targets: [],
			targetsAuthoritative: false,
			nodes: [node('n1')],
			cells: [],
			now: 120_000,
		})
		expect(w.outages[0]?.endedAt).toBeNull()
	})

	it('ends the windows of a node gone from every complete answer for an hour', () => {
		const w = world()
		for (const now of [0, 60_000]) {
			w.check({
				...base,
				nodes: [node('n1'), node('n2')],
				cells: [cell('n1', 'db', 'ok'), cell('n2', 'db', 'failing')],
				now,
			})
		}
		const later = (now: number, complete = true) =>
			w.check({
				...base,
				answerComplete: complete,
				nodes: [node('n1')],
				cells: [cell('n1', 'db', 'ok'), cell('n2', 'db', 'unknown')],
				now,
			})
		later(60_000 + NODE_GONE_MS / 2)
		expect(w.outages[0]?.endedAt).toBeNull()
		later(60_000 + NODE_GONE_MS, false) // peer discovery failed: absence proves nothing
		expect(w.outages[0]?.endedAt).toBeNull()
		later(60_000 + NODE_GONE_MS)
		expect(w.outages[0]).toMatchObject({ endReason: 'node-gone' })
		expect(w.tracks.map((t) => `${t.kind}:${t.node}`).sort()).toEqual([
			'agent:',
			'cell:n1',
			'node:n1',
		])
	})
})

describe('the agent and node tracks', () => {
	it('tracks the agent: failing after two failed calls, ok again after two good ones', () => {
		const w = world()
		const seen: string[] = []
		for (const [i, ok] of [true, false, false, false, true, true].entries()) {
			const update = w.check({
				...base,
				agentOk: ok,
				nodes: ok ? [node('n1')] : [{ ...node('n1', null), missing: false }],
				cells: [cell('n1', 'db', ok ? 'ok' : 'unknown')],
				now: i * 60_000,
			})
			for (const t of update.transitions.filter((x) => x.kind === 'agent')) {
				seen.push(`${t.transition.from}→${t.transition.to}@${i}`)
			}
		}
		expect(seen).toEqual(['unknown→ok@0', 'ok→failing@2', 'failing→ok@5'])
	})

	it('tracks a node whose agent is unreachable, and leaves its cells alone', () => {
		const w = world()
		const seen: string[] = []
		for (const [i, reachable] of [true, false, false].entries()) {
			const update = w.check({
				...base,
				nodes: [node('n1', reachable)],
				cells: [cell('n1', 'db', reachable ? 'ok' : 'unknown')],
				now: i * 60_000,
			})
			seen.push(
				...update.transitions.map((t) => `${t.kind}:${t.transition.from}→${t.transition.to}`),
			)
		}
		expect(seen).toEqual([
			'agent:unknown→ok',
			'node:unknown→ok',
			'cell:unknown→ok',
			'node:ok→failing',
		])
		expect(w.tracks.find((t) => t.kind === 'cell')?.state).toBe('ok')
	})
})
