/**
 * @module A counting semaphore that bounds how many probes run at once in this process, across
 * all requests, so a burst of checks cannot exhaust sockets or the DNS thread pool.
 */

/** Bounded concurrency with a FIFO queue and a limit on how long a caller may wait. */
export class Semaphore {
	readonly #limit: number
	#active = 0
	readonly #queue: Array<{ grant: () => void; timer: ReturnType<typeof setTimeout> }> = []

	constructor(limit: number) {
		this.#limit = limit
	}

	/** Slots in use. */
	get active(): number {
		return this.#active
	}

	/** Waits for a slot; resolves false if none freed up within `maxWaitMs`. Call `release` after a true. */
	acquire(maxWaitMs: number): Promise<boolean> {
		if (this.#active < this.#limit) {
			this.#active++
			return Promise.resolve(true)
		}
		return new Promise<boolean>((resolve) => {
			const entry = {
				grant: () => {
					clearTimeout(entry.timer)
					this.#active++
					resolve(true)
				},
				timer: setTimeout(() => {
					const i = this.#queue.indexOf(entry)
					if (i >= 0) {
						this.#queue.splice(i, 1)
					}
					resolve(false)
				}, maxWaitMs),
			}
			this.#queue.push(entry)
		})
	}

	/** Frees a slot and hands it to the next waiter. */
	release(): void {
		this.#active--
		this.#queue.shift()?.grant()
	}
}
