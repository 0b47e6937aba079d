/**
 * `npm run openapi`: writes the admin API's OpenAPI document, generated from the route definitions
 * (src/http/api/openapi-document.ts), to src/http/api/openapi.json, which the Worker serves as it
 * is. The file is committed, so a clean clone builds, tests and starts without this step; a test
 * (test/integration/api.test.ts) fails when it no longer matches the routes and says to run this.
 *
 *   npm run openapi             write the file
 *   npm run openapi -- --check  exit 1 when the file is out of date
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import pkg from '../package.json' with { type: 'json' }
import { generateOpenApiDocument } from '../src/http/api/openapi-document.ts'

const TARGET = fileURLToPath(new URL('../src/http/api/openapi.json', import.meta.url))

const text = `${JSON.stringify(generateOpenApiDocument(pkg.version), null, '\t')}\n`
if (process.argv.includes('--check')) {
	if (readFileSync(TARGET, 'utf8') !== text) {
		console.error('src/http/api/openapi.json is out of date: run `npm run openapi`')
		process.exit(1)
	}
} else {
	writeFileSync(TARGET, text)
	console.log(`wrote ${TARGET}`)
}
