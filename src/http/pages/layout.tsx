/**
 * The HTML shell: one request, inline CSS, no client framework; readable on a phone. The inline
 * style and script carry the request's CSP nonce (security-headers.ts), so nothing else inline runs.
 */

import { raw } from 'hono/html'
import type { Child } from 'hono/jsx'

const CSS = `
:root { color-scheme: light dark; --ok: #0a6b2d; --bad: #a4161a; --warn: #8a5a00; --muted: #555; --line: #ccc; --bg-ok: #e3f4e8; --bg-bad: #fbe4e4; --bg-warn: #fff3d6; --bg-unknown: #ececec; }
@media (prefers-color-scheme: dark) { :root { --ok: #7ee2a0; --bad: #ff9a9a; --warn: #ffd27a; --muted: #aaa; --line: #444; --bg-ok: #133a22; --bg-bad: #4a1414; --bg-warn: #4a3a10; --bg-unknown: #2a2a2a; } }
* { box-sizing: border-box; }
body { font: 16px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 72rem; padding: 0 1rem 3rem; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: .5rem 1rem; padding: 1rem 0; border-bottom: 1px solid var(--line); }
header h1 { margin: 0; font-size: 1.4rem; }
nav a { margin-right: .75rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 .5rem; }
.banner { padding: .75rem 1rem; border-radius: .4rem; margin: 1rem 0; border: 2px solid; }
.banner.ok { border-color: var(--ok); background: var(--bg-ok); }
.banner.bad { border-color: var(--bad); background: var(--bg-bad); }
.banner.warn { border-color: var(--warn); background: var(--bg-warn); }
.banner.unknown { border-color: var(--line); background: var(--bg-unknown); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .95rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; }
caption { text-align: left; color: var(--muted); padding: .25rem 0; caption-side: bottom; font-size: .85rem; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .88rem; }
pre { white-space: pre-wrap; background: var(--bg-unknown); padding: .75rem; border-radius: .4rem; overflow-x: auto; }
.state { font-weight: 600; white-space: nowrap; }
.ok { color: var(--ok); } .bad { color: var(--bad); } .warn { color: var(--warn); } .muted { color: var(--muted); }
td.cell-ok { background: var(--bg-ok); } td.cell-bad { background: var(--bg-bad); } td.cell-unknown { background: var(--bg-unknown); } td.cell-warn { background: var(--bg-warn); }
tr.drift td { background: var(--bg-warn); }
button { font: inherit; padding: .45rem .9rem; margin: .25rem .5rem .25rem 0; border-radius: .3rem; border: 1px solid var(--line); cursor: pointer; }
.controls { margin: 1rem 0; }
svg text { fill: currentColor; font-size: 11px; }
svg.chart { max-width: 100%; height: auto; }
`

/** Wraps a page. */
export function Layout(props: { title: string; nonce: string; children: Child }) {
	return (
		<>
			{raw('<!doctype html>')}
			<html lang="en">
				<head>
					<meta charset="utf-8" />
					<meta name="viewport" content="width=device-width, initial-scale=1" />
					<title>{props.title}</title>
					<style nonce={props.nonce}>{raw(CSS)}</style>
				</head>
				<body>{props.children}</body>
			</html>
		</>
	)
}
