// Shared by the edge unit tests: desired states from YAML and tidegate's history as D1 keeps it.
import { loadDesiredState } from '../../../src/domain/desired-state/load.ts'
import type { DesiredState } from '../../../src/domain/desired-state/model.ts'
import type { Application, History } from '../../../src/domain/edge/state.ts'

/** The account and tunnel of the examples. */
export const ACCOUNT = '0123456789abcdef0123456789abcdef'
export const TUNNEL = '6ff4dfd7-2b77-4a4f-84d9-3241bea658dc'

/** A valid desired state, or the test fails with the diagnostics. */
export function desired(yaml: string): DesiredState {
	const loaded = loadDesiredState(yaml)
	if (!loaded.ok) {
		throw new Error(JSON.stringify(loaded.error))
	}
	return loaded.value.state
}

let nextId = 1

/** One recorded write of `document` (accepted unless said otherwise). */
export function application(
	resource: string,
	document: unknown,
	options: Partial<Application> = {},
): Application {
	return {
		id: nextId++,
		resource,
		runId: 1,
		commitSha: 'a'.repeat(40),
		owner: 'oceanid',
		document,
		before: null,
		state: 'applied',
		rollbackOf: null,
		remoteVersion: null,
		appliedAt: 0,
		...options,
	}
}

/** A history whose newest accepted write is `document`, with newer unsettled writes. */
export function history(
	resource: string,
	document: unknown,
	unsettled: Application[] = [],
): History {
	return { latest: application(resource, document), unsettled }
}
