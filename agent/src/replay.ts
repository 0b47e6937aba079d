/**
 * @module Remembers accepted signatures for as long as their timestamp is acceptable, so a
 * captured request cannot be sent again. Memory is bounded: when full of live entries the
 * agent refuses new requests (503) rather than forget one and allow a replay.
 */

/** Seen signatures, each kept until its timestamp leaves the skew window. */
export class ReplayCache {
	readonly #seen = new Map<string, number>()
	readonly #maxEntries: number
	readonly #windowSeconds: number

	constructor(options: { maxEntries: number; windowSeconds: number }) {
		this.#maxEntries = options.maxEntries
		this.#windowSeconds = options.windowSeconds
	}

	/** Records a signature; 'replay' if it was seen before, 'full' if there is no room. */
	remember(signature: string, timestamp: number, nowSeconds: number): 'new' | 'replay' | 'full' {
		const expiry = this.#seen.get(signature)
		if (expiry !== undefined && expiry >= nowSeconds) {
			return 'replay'
		}
		if (this.#seen.size >= this.#maxEntries) {
			this.prune(nowSeconds)
			if (this.#seen.size >= this.#maxEntries) {
				return 'full'
			}
		}
		this.#seen.set(signature, timestamp + this.#windowSeconds)
		return 'new'
	}

	/** Drops entries whose timestamp can no longer pass the skew check. */
	prune(nowSeconds: number): void {
		for (const [signature, expiry] of this.#seen) {
			if (expiry < nowSeconds) {
				this.#seen.delete(signature)
			}
		}
	}

	/** Entries held. */
	get size(): number {
		return this.#seen.size
	}
}
