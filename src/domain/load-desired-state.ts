/**
 * @module Turns the text of `tidegate.yaml` into a DesiredState, or into located diagnostics.
 * Every finding carries its YAML path and line:column, because the file is edited by hand.
 */

import {
	type Document,
	isMap,
	isPair,
	isScalar,
	isSeq,
	LineCounter,
	type Node,
	parseDocument,
} from 'yaml'
import type { z } from 'zod'
import { err, ok, type Result } from '../lib/result.ts'
import { type DesiredState, validateDesiredState } from './desired-state.ts'
import { desiredStateSchema } from './desired-state-schema.ts'
import { type Diagnostic, error, type YamlPath } from './diagnostics.ts'

/** A desired-state file larger than this is refused before parsing. */
export const MAX_DESIRED_STATE_BYTES = 256 * 1024

/** A valid desired state and the warnings it still deserves. */
export interface LoadedDesiredState {
	state: DesiredState
	warnings: Diagnostic[]
}

/** Parses, validates and normalises `tidegate.yaml`. Fails with every error found, each located. */
export function loadDesiredState(text: string): Result<LoadedDesiredState, Diagnostic[]> {
	const size = new TextEncoder().encode(text).byteLength
	if (size > MAX_DESIRED_STATE_BYTES) {
		return err([
			{
				...error([], `file is ${size} bytes; the limit is ${MAX_DESIRED_STATE_BYTES}`),
				line: 1,
				column: 1,
			},
		])
	}
	const lines = new LineCounter()
	const doc = parseDocument(text.replace(/^\uFEFF/, ''), { lineCounter: lines, uniqueKeys: true })
	if (doc.errors.length > 0) {
		return err(
			doc.errors.map((e) => {
				const pos = lines.linePos(e.pos[0])
				return { severity: 'error', path: [], message: yamlMessage(e.message), ...at(pos) }
			}),
		)
	}
	const data: unknown = doc.toJS({ maxAliasCount: 50 })
	if (data === null || data === undefined) {
		return err([
			{ ...error([], 'file is empty; expected a tidegate.yaml document'), line: 1, column: 1 },
		])
	}
	const parsed = desiredStateSchema.safeParse(data)
	if (!parsed.success) {
		return err(locate(doc, lines, parsed.error.issues.flatMap(toDiagnostics)))
	}
	const { state, diagnostics } = validateDesiredState(parsed.data)
	const located = locate(doc, lines, diagnostics)
	if (!state) {
		return err(located)
	}
	return ok({ state, warnings: located })
}

function toDiagnostics(issue: z.core.$ZodIssue): Diagnostic[] {
	const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol')
	if (issue.code === 'unrecognized_keys') {
		return issue.keys.map((key) => error([...path, key], `unknown key "${key}"${suggestion(key)}`))
	}
	if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) {
		return [error(path, `is required (${issue.expected})`)]
	}
	return [error(path, issue.message)]
}

const KNOWN_MISSPELLINGS: Record<string, string> = {
	hostName: 'hostname',
	host_name: 'hostname',
	catchall: 'catchAll',
	catch_all: 'catchAll',
	split_tunnel: 'splitTunnel',
	splittunnel: 'splitTunnel',
	tunnel_id: 'tunnelId',
	account_id: 'accountId',
	origin_request: 'originRequest',
	exclude: 'include (tidegate manages include mode only)',
}

function suggestion(key: string): string {
	const hint = KNOWN_MISSPELLINGS[key]
	return hint ? `; did you mean ${hint}?` : ''
}

/** Unknown keys point at the key itself; everything else at the value, or the nearest parent that exists. */
function locate(doc: Document, lines: LineCounter, diagnostics: Diagnostic[]): Diagnostic[] {
	return diagnostics
		.map((d) => {
			const offset = offsetOf(doc, d.path)
			return offset === undefined ? d : { ...d, ...at(lines.linePos(offset)) }
		})
		.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0))
}

function offsetOf(doc: Document, path: YamlPath): number | undefined {
	let node: unknown = doc.contents
	let offset = (doc.contents as Node | null)?.range?.[0]
	for (const segment of path) {
		if (isMap(node)) {
			const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === segment)
			if (!pair) {
				return offset
			}
			offset = (pair.key as Node).range?.[0] ?? offset
			node = pair.value
			// A value on the same line as its key reads better pointing at the value; a block value at the key.
			const valueStart = (pair.value as Node | null)?.range?.[0]
			if (isScalar(pair.value) && valueStart !== undefined) {
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

function at(pos: { line: number; col: number }): { line: number; column: number } {
	return { line: pos.line, column: pos.col }
}

/** The yaml package appends a source excerpt to its messages; the location is reported separately. */
function yamlMessage(message: string): string {
	return `invalid YAML: ${message.split(/ at line \d+, column \d+/)[0]?.split('\n')[0] ?? message}`
}
