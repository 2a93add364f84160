import { createHash, randomBytes, randomInt } from 'node:crypto'

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex')

export const newApiToken = () => `gz_${randomBytes(24).toString('base64url')}`

// No 0/O, 1/I/L: codes are read aloud and typed on phones.
const codeAlphabet = '23456789ABCDEFGHJKMNPQRSTUVWXYZ'
export const newBindCode = (length = 6) =>
  Array.from({ length }, () => codeAlphabet[randomInt(codeAlphabet.length)]).join('')
