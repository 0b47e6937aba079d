/**
 * @module The Flux deployment ledger in D1 (tables `flux_objects`, `flux_events`, `flux_failures`,
 * `flux_revisions`, `flux_outcomes`; migration 0003): its writes (flux-ledger-writes.ts) and its
 * queries (flux-ledger-queries.ts) behind one port.
 */
import type { FluxLedgerStore } from '../../domain/flux/ports.ts'
import { d1FluxLedgerQueries } from './flux-ledger-queries.ts'
import { d1FluxLedgerWrites } from './flux-ledger-writes.ts'

/** D1-backed FluxLedgerStore. */
export function d1FluxLedger(db: D1Database): FluxLedgerStore {
	return { ...d1FluxLedgerWrites(db), ...d1FluxLedgerQueries(db) }
}
