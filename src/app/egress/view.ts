/**
 * @module "Can every node get out?" for operators: the newest egress matrix (nodes × targets with
 * this check's observation and the damped state), the edge's view and the verdict per target,
 * `egress.expect` met or not, open outage windows, and one cell's history on request.
 */
import type { ExpectationResult } from '../../domain/egress/expectations.ts'
import type {
	EgressCheck,
	EgressOutage,
	EgressSample,
	NodeObservation,
	ReportedTarget,
	SkippedTarget,
	StoredTrack,
} from '../../domain/egress/model.ts'
import type { Deps } from '../deps.ts'

/** A damped state as shown. */
export interface TrackView {
	state: StoredTrack['state']
	since: number
}

/** One cell of the matrix. */
export interface CellView extends Omit<EgressSample, 'id' | 'checkId'> {
	/** The damped state (what alerts follow); `unknown` until first confirmed. */
	track: TrackView | null
	/** The open outage window of this cell, if any. */
	outage: EgressOutage | null
}

/** One node's row header. */
export interface NodeView extends NodeObservation {
	track: TrackView | null
}

/** The whole view. */
export interface EgressView {
	/** The check the matrix comes from (the newest that reached the agent, or tried to). */
	check: Omit<EgressCheck, 'report'> | null
	/** The newest check, when it has no matrix (skipped: not configured, no desired state). */
	lastAttempt: Omit<EgressCheck, 'report'> | null
	agent: TrackView | null
	nodes: NodeView[]
	targets: ReportedTarget[]
	cells: CellView[]
	expectations: ExpectationResult[]
	skipped: SkippedTarget[]
	openOutages: EgressOutage[]
	history: {
		node: string
		target: string
		items: EgressSample[]
		nextCursor: string | null
		outages: EgressOutage[]
	} | null
}

/** Filters and paging of the view. */
export interface EgressViewQuery {
	node?: string | undefined
	target?: string | undefined
	/** History page size (with both `node` and `target`). */
	limit: number
	/** A sample id: history older than it. */
	cursor?: number | undefined
}

const OPEN_OUTAGES_SHOWN = 200
const CELL_OUTAGES_SHOWN = 20

/** Builds the view from the store. */
export async function egressView(
	deps: Pick<Deps, 'egress'>,
	query: EgressViewQuery,
): Promise<EgressView> {
	const [check, latest, tracks, openOutages] = await Promise.all([
		deps.egress.latestCheck({ withMatrix: true }),
		deps.egress.latestCheck(),
		deps.egress.tracks(),
		deps.egress.outages({
			node: query.node,
			target: query.target,
			open: true,
			limit: OPEN_OUTAGES_SHOWN,
		}),
	])
	const samples = check ? await deps.egress.samples(check.id) : []
	const report = check?.report ?? null
	const trackOf = (kind: StoredTrack['kind'], node: string, target: string): TrackView | null => {
		const t = tracks.find((x) => x.kind === kind && x.node === node && x.target === target)
		return t ? { state: t.state, since: t.since } : null
	}
	const nodeMatch = (node: string) => query.node === undefined || node === query.node
	const targetMatch = (target: string) => query.target === undefined || target === query.target
	const openByCell = new Map(openOutages.map((o) => [`${o.node}\u0000${o.target}`, o]))

	const history =
		query.node !== undefined && query.target !== undefined
			? await cellHistory(deps, { ...query, node: query.node, target: query.target })
			: null
	const strip = (c: EgressCheck | undefined) => {
		if (!c) {
			return null
		}
		const { report: _report, ...rest } = c
		return rest
	}
	return {
		check: strip(check),
		lastAttempt: latest && latest.id !== check?.id ? strip(latest) : null,
		agent: trackOf('agent', '', ''),
		nodes: (report?.nodes ?? [])
			.filter((n) => nodeMatch(n.node))
			.map((n) => ({ ...n, track: trackOf('node', n.node, '') })),
		targets: (report?.targets ?? []).filter((t) => targetMatch(t.name)),
		cells: samples
			.filter((s) => nodeMatch(s.node) && targetMatch(s.target))
			.map(({ id: _id, checkId: _checkId, ...s }) => ({
				...s,
				track: trackOf('cell', s.node, s.target),
				outage: openByCell.get(`${s.node}\u0000${s.target}`) ?? null,
			})),
		expectations: (report?.expectations ?? []).filter((e) => targetMatch(e.target)),
		skipped: (report?.skipped ?? []).filter((s) => targetMatch(s.name)),
		openOutages,
		history,
	}
}

async function cellHistory(
	deps: Pick<Deps, 'egress'>,
	query: EgressViewQuery & { node: string; target: string },
): Promise<NonNullable<EgressView['history']>> {
	const [rows, outages] = await Promise.all([
		deps.egress.history({
			node: query.node,
			target: query.target,
			limit: query.limit + 1,
			before: query.cursor,
		}),
		deps.egress.outages({ node: query.node, target: query.target, limit: CELL_OUTAGES_SHOWN }),
	])
	const items = rows.slice(0, query.limit)
	const last = items[items.length - 1]
	return {
		node: query.node,
		target: query.target,
		items,
		nextCursor: rows.length > query.limit && last ? String(last.id) : null,
		outages,
	}
}
