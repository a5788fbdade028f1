// Preloaded with --import by bench/lib.js `timed(..., {rss: true})`: writes the process's peak RSS (bytes) at exit.
import {writeFileSync} from 'node:fs'

process.on('exit', () => {
  if (process.env.BENCH_RSS_FILE) writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS * 1024))
})
