// An in-memory ApplicationStore that keeps tidegate's write history as D1 does (src/adapters/d1/
// applications.ts): intents first, then outcomes; for the CLI-less Node tests and benchmarks.
import type { ApplicationStore } from '../../src/domain/edge/ports.ts'
import type { Application } from '../../src/domain/edge/state.ts'

/** The store, and its rows for assertions. */
export function memoryApplications(): ApplicationStore & { rows: Application[] } {
	const rows: Application[] = []
	const forResource = (resource: string) => rows.filter((r) => r.resource === resource).reverse()
	return {
		rows,
		async history(resource) {
			const newestFirst = forResource(resource)
			if (newestFirst.length === 0) {
				return undefined
			}
			const latest = newestFirst.find((r) => r.state === 'applied')
			const unsettled = newestFirst.filter(
				(r) => r.state !== 'applied' && (latest === undefined || r.id > latest.id),
			)
			return { latest, unsettled }
		},
		async begin(intent) {
			const id = rows.length + 1
			rows.push({
				id,
				resource: intent.resource,
				runId: intent.runId,
				commitSha: intent.commitSha,
				owner: intent.owner,
				document: structuredClone(intent.document),
				before: structuredClone(intent.before),
				state: 'pending',
				rollbackOf: intent.rollbackOf,
				remoteVersion: null,
				appliedAt: intent.at,
			})
			return id
		},
		async settle(id, outcome) {
			const row = rows.find((r) => r.id === id)
			if (row?.state === 'pending') {
				row.state = outcome.applied ? 'applied' : 'failed'
				row.remoteVersion = outcome.remoteVersion
			}
		},
		async rollbackTarget(resource) {
			const [newest, previous] = forResource(resource).filter((r) => r.state === 'applied')
			if (newest?.rollbackOf) {
				return rows.find((r) => r.id === newest.rollbackOf) ?? previous
			}
			return previous
		},
		async lastOwner() {
			return (
				[...rows].reverse().find((r) => r.owner !== null && r.state === 'applied')?.owner ??
				undefined
			)
		},
	}
}
