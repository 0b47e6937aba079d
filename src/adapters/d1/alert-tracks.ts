/** Damped alert states in D1 (table `alert_tracks`), written only against the version read. */
import type { AlertState, AlertTrackStore } from '../../domain/edge/run-alerts.ts'
import type { Track } from '../../domain/transitions.ts'

interface TrackRow {
	track: string
	fingerprint: string | null
	version: number
}

/** D1-backed AlertTrackStore. */
export function d1AlertTracks(db: D1Database): AlertTrackStore {
	return {
		async get(key) {
			const row = await db
				.prepare('SELECT track, fingerprint, version FROM alert_tracks WHERE key = ?1')
				.bind(key)
				.first<TrackRow>()
			return row
				? {
						track: JSON.parse(row.track) as Track,
						fingerprint: row.fingerprint,
						version: row.version,
					}
				: undefined
		},
		async put(key, state: AlertState, version, at) {
			const track = JSON.stringify(state.track)
			const written =
				version === 0
					? await db
							.prepare(
								`INSERT INTO alert_tracks (key, track, fingerprint, version, updated_at)
								 VALUES (?1, ?2, ?3, 1, ?4) ON CONFLICT (key) DO NOTHING`,
							)
							.bind(key, track, state.fingerprint, at)
							.run()
					: await db
							.prepare(
								`UPDATE alert_tracks SET track = ?2, fingerprint = ?3, version = version + 1, updated_at = ?4
								 WHERE key = ?1 AND version = ?5`,
							)
							.bind(key, track, state.fingerprint, at, version)
							.run()
			return written.meta.changes === 1
		},
		async failing(prefix) {
			const { results } = await db
				.prepare(
					`SELECT key FROM alert_tracks
					 WHERE substr(key, 1, length(?1)) = ?1 AND json_extract(track, '$.state') = 'failing'`,
				)
				.bind(prefix)
				.all<{ key: string }>()
			return results.map((r) => r.key)
		},
	}
}
