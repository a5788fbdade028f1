// Loaded with --import into the whole CLI (bench/native-throughput.js, BENCH_MEMORY_DETAIL=1), which has no IPC:
// on SIGUSR2 it reads what is asked in $BENCH_MEMORY_FILE.request ('memory' or 'heapSummary') and writes the answer,
// as JSON, to $BENCH_MEMORY_FILE.
import {readFileSync, renameSync, writeFileSync} from 'node:fs'

import {heapSummary, memoryReport} from './memory.js'

const file = process.env.BENCH_MEMORY_FILE
if (file) {
  process.on('SIGUSR2', () => {
    const asked = readFileSync(`${file}.request`, 'utf8')
    // whole or not at all: the bench reads it as soon as it appears
    writeFileSync(`${file}.tmp`, JSON.stringify(asked === 'heapSummary' ? heapSummary() : memoryReport()))
    renameSync(`${file}.tmp`, file)
  })
}
