/**
 * @module Where a path points in a parsed YAML document, so findings can carry line:column.
 * Shared by the desired-state loader and the pre-flight manifest reader.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Node } from 'yaml'

/**
 * The source offset of `path` below `root`: a value on its key's line points at the value, a
 * block value at its key; `atKey` points at the last key itself (e.g. for an unknown key). A
 * path that goes further than the document points at the deepest part that exists.
 */
export function yamlOffset(
	root: unknown,
	path: readonly (string | number)[],
	options: { atKey?: boolean } = {},
): number | undefined {
	let node: unknown = root
	let offset = (root as Node | null)?.range?.[0]
	for (const [i, segment] of path.entries()) {
		if (isMap(node)) {
			const pair = node.items.find(
				(p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment),
			)
			if (!pair) {
				return offset
			}
			offset = (pair.key as Node).range?.[0] ?? offset
			node = pair.value
			if (options.atKey && i === path.length - 1) {
				return offset
			}
			const valueStart = (pair.value as Node | null)?.range?.[0]
			if ((isScalar(pair.value) || isAlias(pair.value)) && valueStart !== undefined) {
				offset = valueStart
			}
		} else if (isSeq(node) && typeof segment === 'number') {
			const item = node.items[segment] as Node | undefined
			if (!item) {
				return offset
			}
			offset = item.range?.[0] ?? offset
			node = item
		} else {
			return offset
		}
	}
	return offset
}
