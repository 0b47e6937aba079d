/**
 * @module The ownership rule and the safety rails every kind of resource shares, written once.
 * A shared resource (the split-tunnel list, DNS zones, the account's routes) holds other teams'
 * items; tidegate owns an item only when its label ends in ` - <owner>` AND tidegate's history
 * says it wrote it. An item that merely carries the suffix is "claimed": kept, never removed on
 * sight, taken over only through `adopt`. Kinds add their own rails (empty list, mode switch).
 */

import type { PlanBase, Rails, Refusal } from './plan.ts'

/** What tidegate knows about its items in one shared resource. */
export interface Ownership {
	/** ` - <owner>`. */
	suffix: string
	/** Keys tidegate wrote: its newest accepted write, and newer writes whose outcome is unknown. */
	written: ReadonlySet<string>
	/** Keys written with `protected: true` in any of those writes. */
	protected: ReadonlySet<string>
	/** Foreign keys in the read the newest accepted write was planned from; null: not recorded. */
	foreignBefore: readonly string[] | null
	/** False on a first sync and in the CLI: nothing is known to be tidegate's. */
	hasHistory: boolean
}

/** Whose an item is. */
export type Claim = 'ours' | 'claimed' | 'foreign'

/** Applies the ownership rule to one live item, by its key and its label (description or comment). */
export function claimOf(key: string, label: string | undefined, ownership: Ownership): Claim {
	if (typeof label !== 'string' || !label.endsWith(ownership.suffix)) {
		return 'foreign'
	}
	return ownership.written.has(key) ? 'ours' : 'claimed'
}

/** Why a claimed item is kept, for the plan's warnings. */
export function claimedWarning(what: string, ownership: Ownership): string {
	const why = ownership.hasHistory
		? 'tidegate has no record of writing it'
		: 'tidegate has no history here yet (a first sync, or the CLI)'
	return `${what} ends with "${ownership.suffix.slice(3)}" but ${why}: it is kept, never removed on sight; add it to tidegate.yaml with adopt: true to manage it, or remove it by hand`
}

/**
 * The rails every kind shares, added to `plan.refusals`: never remove what tidegate does not own
 * (a planner bug if it ever tried), never remove a protected item (not even with force), at most
 * `maxDeletions` removals without force, and no write when half or more of the other teams'
 * items vanished since tidegate's last write — an answer that lost them is more likely than
 * teams deleting them together, and a whole-list write would make the loss real.
 */
export function sharedRails(
	plan: PlanBase,
	options: {
		rails: Rails
		ownership?: Ownership
		what: string
		label: (key: string) => string
		/** True when an identical item stays listed (removing a second copy loses nothing). */
		stillListed?: (key: string) => boolean
	},
): void {
	const { rails, ownership, what, label, stillListed = () => false } = options
	const removals = plan.changes.filter((c) => c.action === 'remove')
	const refusals: Refusal[] = []
	if (ownership) {
		for (const removal of removals) {
			if (!ownership.written.has(removal.key) && !stillListed(removal.key)) {
				refusals.push({
					rail: 'foreign-removal',
					message: `the plan would remove ${label(removal.key)}, which tidegate never wrote; refused (this is a bug: please report it)`,
				})
			} else if (ownership.protected.has(removal.key)) {
				refusals.push({
					rail: 'protected-entry',
					message: `${label(removal.key)} is protected; it is never removed by automation, even with force. Set protected: false in one commit, then remove it in the next`,
				})
			}
		}
	}
	if (removals.length > rails.maxDeletions && !rails.force) {
		refusals.push({
			rail: 'max-deletions',
			message: `the plan removes ${removals.length} ${what}, more than sync.maxDeletions (${rails.maxDeletions}); review it and apply with force if it is intended`,
		})
	}
	const before = ownership?.foreignBefore
	if (before && before.length > 0 && plan.changes.length > 0 && !rails.force) {
		const now = new Set(plan.foreign)
		const vanished = before.filter((key) => !now.has(key))
		if (vanished.length > 0 && vanished.length * 2 >= before.length) {
			refusals.push({
				rail: 'foreign-vanished',
				message: `${vanished.length} of the ${before.length} other teams' ${what} seen at tidegate's last write are missing from what Cloudflare answered now (${vanished.slice(0, 3).map(label).join(', ')}${vanished.length > 3 ? ', …' : ''}); an answer that lost them is more likely than a mass deletion, and writing would make the loss real. Check the list in the dashboard; if they were really removed, apply with force`,
			})
		}
	}
	plan.refusals.push(...refusals)
}

/** The refusal for a resource whose live state could not be read: nothing is written on a guess. */
export function unreadableRefusal(what: string, why: string | undefined): Refusal {
	return {
		rail: 'unreadable',
		message: `${what} could not be read (${why ?? 'not read'}); nothing is written on a guess`,
	}
}
