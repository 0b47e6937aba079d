/** Operator settings and persisted guards in D1 (table `settings`). */
import type { SettingsStore } from '../../domain/ports.ts'

/** D1-backed SettingsStore. */
export function d1SettingsStore(db: D1Database): SettingsStore {
	return {
		async get(key) {
			const row = await db
				.prepare('SELECT value FROM settings WHERE key = ?1')
				.bind(key)
				.first<{ value: string }>()
			return row?.value
		},
		async set(key, value, at) {
			await db
				.prepare(
					`INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, ?3)
					 ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
				)
				.bind(key, value, at)
				.run()
		},
	}
}
