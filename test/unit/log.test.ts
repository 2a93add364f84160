import { DrizzleQueryError } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createLog, logWith, silentLog } from '../../core/shared/log'

function recording(level: Parameters<typeof createLog>[0] = 'debug') {
  const lines: string[] = []
  const log = createLog(level, (line) => lines.push(line))
  return { log, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) }
}

describe('log', () => {
  it('writes one JSON line per event: level by name, ISO time, the message first, then the fields', () => {
    const { log, lines, parsed } = recording('info')
    log.debug('not at info')
    log.info('gaizao is up', { url: 'http://localhost:3000' })
    log.warn('careful')
    expect(lines).toHaveLength(2)
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true)
    expect(lines[0]).toMatch(/"msg":"gaizao is up","url":"http:\/\/localhost:3000"/)
    const [up, careful] = parsed()
    expect(up).toMatchObject({ level: 'info', msg: 'gaizao is up', url: 'http://localhost:3000' })
    expect(new Date(up!.time as string).toISOString()).toBe(up!.time)
    expect(careful).toMatchObject({ level: 'warn', msg: 'careful' })
  })

  it('redacts phones, tokens, cookies and the Authorization header, at the top and one level down', () => {
    const { log, lines } = recording()
    log.info('staff created', {
      phone: '13501010001',
      token: 'gz_secret-token-value',
      staff: { name: '王建国', phone: '13501010002', tokenHash: 'hmac:abcdef0123' },
      req: { headers: { authorization: 'Bearer gz_other-secret', cookie: 'gz_console=gz_third' } },
      authorization: 'Bearer gz_fourth',
    })
    const text = lines.join('')
    for (const secret of [
      '13501010001',
      '13501010002',
      'gz_secret',
      'gz_other',
      'gz_third',
      'gz_fourth',
      'abcdef0123',
    ]) {
      expect(text).not.toContain(secret)
    }
    expect(text).toContain('王建国')
    expect(text).toContain('[redacted]')
  })

  it("logs a failed query's text but never its parameters, in the error, its stack and text fields", () => {
    const { log, lines, parsed } = recording()
    const hash = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'
    const cause = Object.assign(new Error('connection reset'), { params: [hash] })
    const error = new DrizzleQueryError('select * from staff where token_hash = $1', [hash], cause)
    log.error('unhandled API error', { err: error, error: error.message })
    expect(lines.join('')).not.toContain(hash)
    const [line] = parsed()
    const err = line!.err as Record<string, unknown>
    expect(err.message).toContain('Failed query: select * from staff where token_hash = $1')
    expect(err.message).toContain('params: [redacted]')
    expect(err.stack).toContain('params: [redacted]')
    expect(err.stack).toContain('caused by: Error: connection reset')
    expect(err).not.toHaveProperty('params')
    expect(line!.error).toBe('Failed query: select * from staff where token_hash = $1\nparams: [redacted]')
  })

  it('binds fields to a child, as a request id on every line of a request', () => {
    const { log, parsed } = recording()
    const child = logWith(log, { requestId: 'req-1' })
    child.info('request', { status: 200 })
    child.child?.({ job: 'x' }).warn('nested')
    expect(parsed()).toEqual([
      expect.objectContaining({ requestId: 'req-1', msg: 'request', status: 200 }),
      expect.objectContaining({ requestId: 'req-1', job: 'x', msg: 'nested' }),
    ])
    // A child's own fields are redacted like a line's, and its lines still start with the message.
    const { log: other, lines } = recording()
    logWith(other, { requestId: 'req-3', phone: '13800000000' }).info('bound')
    expect(lines[0]).toMatch(/^\{"level":"info","time":"[^"]+","msg":"bound","requestId":"req-3"/)
    expect(lines[0]).not.toContain('13800000000')
    // A hand-made Log without children still gets the fields.
    const seen: unknown[] = []
    const plain = {
      debug: () => {},
      info: (msg: string, fields?: object) => seen.push({ msg, ...fields }),
      warn: () => {},
      error: () => {},
    }
    logWith(plain, { requestId: 'req-2' }).info('hello', { a: 1 })
    expect(seen).toEqual([{ msg: 'hello', requestId: 'req-2', a: 1 }])
  })

  it('says nothing when silent', () => {
    const { log, lines } = recording('silent')
    log.error('nothing')
    silentLog.error('nothing either')
    expect(lines).toEqual([])
  })
})
