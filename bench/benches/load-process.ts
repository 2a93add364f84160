// The API-create bench's load in a process of its own (BENCH_LOADGEN=process), off the server's event loop as
// real callers are: it takes one message (the load), answers with autocannon's result and exits.
import { type CreateLoad, createLoad } from './create-load'

process.once('message', async (load) => {
  const result = await createLoad(load as CreateLoad)
  process.send!(JSON.parse(JSON.stringify(result)), () => process.exit(0))
})
