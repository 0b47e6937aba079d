/** Wraps a factory so it runs on the first call only; later calls return the same value. */
export function once<T>(make: () => T): () => T {
	let made: { value: T } | undefined
	return () => {
		made ??= { value: make() }
		return made.value
	}
}
