/**
 * `npm start`: compiles the app into dist/ when a source is newer than the last build (a fresh clone, a
 * pull, an edit; otherwise a few stats), then runs dist/main.js in this same process, so signals reach
 * Gaizao directly and no second Node starts. The Dockerfile builds at image build time and runs
 * `node dist/main.js` itself.
 */
import { buildIfStale, distDir } from './build.mjs'

try {
  await buildIfStale()
} catch (error) {
  process.stderr.write(`编译失败，无法启动：${error instanceof Error ? error.stack : String(error)}\n`)
  process.exit(1)
}
const { main } = await import(`${new URL(`file://${distDir}/main.js`).href}`)
await main().catch((error) => {
  process.stderr.write(`Gaizao failed to start: ${error instanceof Error ? error.stack : String(error)}\n`)
  process.exit(1)
})
