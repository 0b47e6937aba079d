/**
 * @module The plan: desired (git) × what tidegate wrote (D1) × live (Cloudflare) → per resource,
 * the changes, the operations that make them, and the safety rails that refuse them. Each kind of
 * resource plans itself (kinds/); this module holds what every kind shares. Three states let a
 * plan say who changed what: a commit, or a hand edit in the dashboard. Pure: no I/O, no clock.
 */

import type { Result } from '../../lib/result.ts'
import type { DnsPlan } from './kinds/dns.ts'
import type { RoutesPlan } from './kinds/routes.ts'
import type { SplitTunnelPlan } from './kinds/split-tunnel.ts'
import type { TunnelPlan } from './kinds/tunnel.ts'
import type { EdgeKind } from './state.ts'

export type { DnsPlan } from './kinds/dns.ts'
export type { RoutesPlan } from './kinds/routes.ts'
export type { SplitTunnelPlan } from './kinds/split-tunnel.ts'
export type { TunnelDocument, TunnelPlan } from './kinds/tunnel.ts'

/** What happens to one rule, entry, record or route. `adopt` takes over someone else's. */
export type ChangeAction = 'add' | 'update' | 'remove' | 'reorder' | 'adopt'

/**
 * Who made the difference: `commit` (git moved, Cloudflare still holds what tidegate wrote),
 * `hand-edit` (Cloudflare moved away from what tidegate wrote), both, or `first-sync`
 * (tidegate has never written this resource, so there is nothing to tell them apart).
 */
export type ChangeCause = 'commit' | 'hand-edit' | 'commit-and-hand-edit' | 'first-sync'

/** One difference between live and desired. */
export interface Change<T = unknown> {
	action: ChangeAction
	/** The identity of the item: `hostname path` for ingress, `address:…`/`host:…` for entries… */
	key: string
	before?: T
	after?: T
	cause: ChangeCause
	/** For `reorder`: positions in the live and the desired list. */
	from?: number
	to?: number
}

/** The safety rails. Only `max-deletions` and `foreign-vanished` yield to `force`. */
export type Rail =
	| 'unreadable'
	| 'max-deletions'
	| 'empty-list'
	| 'protected-entry'
	| 'mode-switch'
	| 'foreign-vanished'
	| 'foreign-conflict'
	| 'foreign-removal'
	| 'owner-mismatch'
	| 'invalid-document'
	| 'no-zone'

/** Why a plan must not be applied. */
export interface Refusal {
	rail: Rail
	message: string
}

/** What every resource plan carries, whatever its kind. */
export interface PlanBase {
	kind: EdgeKind
	/** The D1 key of the resource. */
	resource: string
	changes: Change[]
	refusals: Refusal[]
	warnings: string[]
	/**
	 * Keys of the live items tidegate does not own, in the read this plan was made from. The
	 * writer keeps every one of them; the next plan compares against them (`foreign-vanished`).
	 */
	foreign: string[]
	/** False when the resource is only read (e.g. routes tidegate.yaml does not manage). */
	managed: boolean
}

/** One resource's plan. */
export type ResourcePlan = TunnelPlan | SplitTunnelPlan | DnsPlan | RoutesPlan

/** The whole plan. Refused means nothing at all may be written. */
export interface Plan {
	resources: ResourcePlan[]
	changeCount: number
	refused: boolean
	inSync: boolean
}

/** True for a plan as stored in a run (JSON): runs that failed before planning hold none. */
export function isPlan(value: unknown): value is Plan {
	return typeof value === 'object' && value !== null && Array.isArray((value as Plan).resources)
}

/** A live read: the state, or why it could not be read (which is never an empty state). */
export type LiveRead<T> = Result<T, string>

/** The rails' settings from `sync` and the run. */
export interface Rails {
	maxDeletions: number
	/** Lifts `max-deletions` and `foreign-vanished`, and nothing else. */
	force: boolean
}

/** The plan of a set of resource plans. */
export function planOf(resources: ResourcePlan[]): Plan {
	const changeCount = resources.reduce((n, r) => n + r.changes.length, 0)
	const refused = resources.some((r) => r.refusals.length > 0)
	return { resources, changeCount, refused, inSync: changeCount === 0 && !refused }
}

/** Structural equality with key order ignored: equal when their JSON texts, keys sorted, are. */
export function sameJson(a: unknown, b: unknown): boolean {
	// Walking both values is linear and allocates nothing; rendering both as sorted JSON was most of
	// an in-sync plan. The rare values whose JSON is not their structure take the slow path.
	return jsonEqual(a, b) ?? canonicalJson(a) === canonicalJson(b)
}

/**
 * Whether two values have the same JSON, decided by walking them; undefined when JSON's own rules
 * decide (toJSON, non-finite numbers, undefined or functions in arrays, bigint).
 */
function jsonEqual(a: unknown, b: unknown): boolean | undefined {
	const scalarA = isJsonScalar(a)
	const scalarB = isJsonScalar(b)
	if (scalarA && scalarB) {
		return a === b
	}
	if (scalarA || scalarB) {
		// A scalar never equals an object or array, whatever its keys.
		const other = scalarA ? b : a
		return typeof other === 'object' && other !== null && !hasToJson(other) ? false : undefined
	}
	if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
		return undefined
	}
	if (hasToJson(a) || hasToJson(b)) {
		return undefined
	}
	if (Array.isArray(a) || Array.isArray(b)) {
		if (!Array.isArray(a) || !Array.isArray(b)) {
			return false
		}
		if (a.length !== b.length) {
			return false
		}
		for (let i = 0; i < a.length; i++) {
			const same = jsonEqual(a[i], b[i])
			if (same !== true) {
				return same
			}
		}
		return true
	}
	const x = a as Record<string, unknown>
	const y = b as Record<string, unknown>
	let count = 0
	for (const key of Object.keys(x)) {
		const value = x[key]
		if (value === undefined) {
			continue // JSON leaves it out
		}
		count++
		const other = y[key]
		if (other === undefined || !Object.hasOwn(y, key)) {
			return typeof value === 'function' || typeof value === 'symbol' ? undefined : false
		}
		const same = jsonEqual(value, other)
		if (same !== true) {
			return same
		}
	}
	let countY = 0
	for (const key of Object.keys(y)) {
		if (y[key] !== undefined) {
			countY++
		}
	}
	return count === countY ? true : undefined
}

function isJsonScalar(value: unknown): value is string | boolean | number | null {
	return (
		typeof value === 'string' ||
		typeof value === 'boolean' ||
		value === null ||
		(typeof value === 'number' && Number.isFinite(value))
	)
}

function hasToJson(value: object): boolean {
	return typeof (value as { toJSON?: unknown }).toJSON === 'function'
}

function canonicalJson(value: unknown): string {
	return JSON.stringify(value, (_key, v: unknown) =>
		v && typeof v === 'object' && !Array.isArray(v)
			? Object.fromEntries(
					Object.entries(v as Record<string, unknown>).sort(([x], [y]) =>
						x < y ? -1 : x > y ? 1 : 0,
					),
				)
			: v,
	)
}

/**
 * Attributes a difference: if Cloudflare still holds what tidegate last wrote, git moved (commit);
 * if git still says what tidegate last wrote, Cloudflare moved (hand edit); otherwise both.
 */
export function causeFinder<T>(hasApplied: boolean, equal: (a: T, b: T) => boolean) {
	const same = (a: T | undefined, b: T | undefined) =>
		a === undefined || b === undefined ? a === b : equal(a, b)
	return (desired: T | undefined, live: T | undefined, applied: T | undefined): ChangeCause => {
		if (!hasApplied) {
			return 'first-sync'
		}
		if (same(live, applied)) {
			return 'commit'
		}
		if (same(desired, applied)) {
			return 'hand-edit'
		}
		return 'commit-and-hand-edit'
	}
}
