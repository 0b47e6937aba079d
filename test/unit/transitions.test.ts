import { describe, expect, it } from 'vitest'
import { type Health, newTrack, observe, type Track } from '../../src/domain/transitions.ts'

const policy = { failAfter: 2, recoverAfter: 2 }

function run(observations: Health[]) {
	let track: Track = newTrack(0)
	const transitions: string[] = []
	observations.forEach((seen, i) => {
		const next = observe(track, seen, i * 1000, policy)
		track = next.track
		if (next.transition) {
			transitions.push(`${next.transition.from}→${next.transition.to}@${i}`)
		}
	})
	return { track, transitions }
}

describe('flap damping', () => {
	it('confirms the first state at once (from unknown)', () => {
		expect(run(['ok']).transitions).toEqual(['unknown→ok@0'])
	})

	it('needs failAfter consecutive failures before ok → failing', () => {
		expect(run(['ok', 'failing']).transitions).toEqual(['unknown→ok@0'])
		expect(run(['ok', 'failing', 'failing']).transitions).toEqual(['unknown→ok@0', 'ok→failing@2'])
	})

	it('ignores a flapping target that never holds a state', () => {
		expect(run(['ok', 'failing', 'ok', 'failing', 'ok', 'failing', 'ok']).transitions).toEqual([
			'unknown→ok@0',
		])
	})

	it('needs recoverAfter consecutive successes before failing → ok, and reports how long it failed', () => {
		let track = newTrack(0)
		for (const [seen, at] of [
			['ok', 0],
			['failing', 1000],
			['failing', 2000],
			['ok', 60_000],
			['ok', 61_000],
		] as const) {
			const next = observe(track, seen, at, policy)
			track = next.track
			if (at === 61_000) {
				expect(next.transition).toEqual({ from: 'failing', to: 'ok', at: 61_000, lastedMs: 59_000 })
			}
		}
	})
})
