#!/usr/bin/env node
// The CLI runs tidegate's TypeScript directly (Node >= 22.18 strips types), so the CLI and the
// Worker share one source tree without a build step. `npx tidegate` runs it with the project's Node 22.
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 18)) {
	process.stderr.write(
		`tidegate needs Node.js 22.18 or later (this is ${process.versions.node}); run it as \`npx tidegate\` inside the project, which uses its Node 22.\n`,
	)
	process.exit(2)
}
const { main } = await import('../src/cli/main.ts')
process.exitCode = await main(process.argv.slice(2))
