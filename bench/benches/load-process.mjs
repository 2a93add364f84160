// The API-create bench's load in a process of its own (BENCH_LOADGEN=process): autocannon off the server's
// event loop, as real callers are. It takes one message (the load), answers with autocannon's result, exits.
import autocannon from 'autocannon'

process.once('message', async ({ url, duration, token, xiaoquId, texts, residents }) => {
  const result = await autocannon({
    url: `${url}/api/v1/requests`,
    connections: 50,
    duration,
    timeout: 120,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    requests: [
      {
        setupRequest(request) {
          // As the in-process load builds it: a known resident, called by name and phone.
          const k = 1 + Math.floor(Math.random() * residents)
          request.body = JSON.stringify({
            xiaoquId,
            text: texts[k % texts.length],
            channel: 'phone',
            residentName: `居民${k}`,
            phone: `139${String(k).padStart(8, '0')}`,
          })
          return request
        },
      },
    ],
  })
  process.send(JSON.parse(JSON.stringify(result)), () => process.exit(0))
})
