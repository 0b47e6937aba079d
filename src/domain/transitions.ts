/**
 * @module Flap damping for anything that is healthy or failing (a Flux object, a node × target
 * cell): the reported state changes only after `threshold` consecutive observations agree, so an
 * alert fires on a real transition (ok → failing, failing → ok), never on each retry or blip.
 */

/** What was observed, or the damped state. `unknown` until the first state is confirmed. */
export type Health = 'ok' | 'failing'

/** The damped state of one tracked thing. */
export interface Track {
	state: Health | 'unknown'
	/** When `state` was entered (Unix ms). */
	since: number
	/** A state seen but not yet confirmed, and how many times in a row. */
	candidate: Health | null
	streak: number
}

/** How many agreeing observations confirm a change. */
export interface DampingPolicy {
	/** Consecutive failing observations before ok → failing. */
	failAfter: number
	/** Consecutive ok observations before failing → ok. */
	recoverAfter: number
}

/** A confirmed change of state. The first confirmation from `unknown` is a transition too. */
export interface Transition {
	from: Track['state']
	to: Health
	at: number
	/** How long the previous state lasted (ms), when it was known. */
	lastedMs: number | null
}

/** A new, unconfirmed track. */
export const newTrack = (at: number): Track => ({
	state: 'unknown',
	since: at,
	candidate: null,
	streak: 0,
})

/** Applies one observation; returns the new track and the transition it confirmed, if any. */
export function observe(
	track: Track,
	seen: Health,
	at: number,
	policy: DampingPolicy,
): { track: Track; transition: Transition | null } {
	if (seen === track.state) {
		return { track: { ...track, candidate: null, streak: 0 }, transition: null }
	}
	const streak = track.candidate === seen ? track.streak + 1 : 1
	const needed =
		track.state === 'unknown' ? 1 : seen === 'failing' ? policy.failAfter : policy.recoverAfter
	if (streak < needed) {
		return { track: { ...track, candidate: seen, streak }, transition: null }
	}
	return {
		track: { state: seen, since: at, candidate: null, streak: 0 },
		transition: {
			from: track.state,
			to: seen,
			at,
			lastedMs: track.state === 'unknown' ? null : at - track.since,
		},
	}
}
