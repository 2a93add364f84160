import { createHash, createHmac, randomBytes, randomInt } from 'node:crypto'
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** The shortest secret the HMAC key may be: as strong as a generated API token, whatever is configured. */
export const minTokenSecretLength = 32
export const tokenSecretFile = 'token-secret'

/**
 * The key staff tokens are hashed with: GAIZAO_TOKEN_SECRET, else `${dataDir}/token-secret`, created on
 * first start (mode 0600) and read on every start after. Instances sharing a database must share it:
 * several instances (or a data directory that is not kept) need GAIZAO_TOKEN_SECRET.
 */
export function loadTokenSecret(options: { configured?: string; dataDir: string }): string {
  if (options.configured) return options.configured
  const path = join(options.dataDir, tokenSecretFile)
  const existing = readSecret(path)
  if (existing !== undefined) return existing
  mkdirSync(options.dataDir, { recursive: true })
  // Written aside, then linked into place: two processes starting together end up with the same secret.
  const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`
  writeFileSync(draft, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 })
  try {
    linkSync(draft, path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  } finally {
    rmSync(draft, { force: true })
  }
  const created = readSecret(path)
  if (created === undefined) throw new Error(`could not create the token secret at ${path}`)
  return created
}

function readSecret(path: string): string | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8').trim()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  if (text.length < minTokenSecretLength) {
    throw new Error(
      `${path} holds a token secret shorter than ${minTokenSecretLength} characters: delete it to have a new one made (every staff token then has to be issued again), or set GAIZAO_TOKEN_SECRET`,
    )
  }
  // Readable by the owner only, even if it was copied in with looser rights.
  try {
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600)
  } catch {
    // A read-only mount: the operator set its rights.
  }
  return text
}

let secret: string | undefined

/** Chooses the HMAC key for this process: main.ts at start, or a test's setup file. */
export function useTokenSecret(value: string) {
  if (value.length < minTokenSecretLength) {
    throw new Error(`the token secret must be at least ${minTokenSecretLength} characters`)
  }
  secret = value
}

function currentSecret(): string {
  if (secret === undefined) {
    throw new Error(
      'no token secret chosen: the composition root (or a test setup) calls useTokenSecret first',
    )
  }
  return secret
}

const keyedPrefix = 'hmac:'

/** What the staff table keeps for a token: HMAC-SHA256 under the server's secret, never the token. */
export const hashToken = (token: string) =>
  `${keyedPrefix}${createHmac('sha256', currentSecret()).update(token).digest('hex')}`

/** How tokens were kept before the secret: a bare SHA-256, upgraded at the token's next use. */
export const legacyTokenHash = (token: string) => createHash('sha256').update(token).digest('hex')

export const newApiToken = () => `gz_${randomBytes(24).toString('base64url')}`

// No 0/O, 1/I/L: codes are read aloud and typed on phones.
const codeAlphabet = '23456789ABCDEFGHJKMNPQRSTUVWXYZ'
export const newBindCode = (length = 6) =>
  Array.from({ length }, () => codeAlphabet[randomInt(codeAlphabet.length)]).join('')
