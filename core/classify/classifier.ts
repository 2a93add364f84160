import { createRequire } from 'node:module'
import type { Jieba } from '@node-rs/jieba'
import { type Category, categories, categoryInfo, type SlaClass, urgentWords } from './categories'

export interface Classification {
  category: Category
  menuItem: string
  slaClass: SlaClass
  urgency: 'urgent' | 'normal'
  /** Dictionary words that supported the chosen category, then the urgent words found. */
  matched: string[]
  /** Weighted score of the chosen category; 0 when nothing matched. */
  score: number
}

export interface Classifier {
  classify(text: string): Classification
}

/** Tie-break order: safety and utilities first, catch-all last. */
const priority: readonly Category[] = [
  '燃气',
  '电力',
  '消防安全',
  '电梯',
  '上下水',
  '供暖',
  '屋面防水',
  '外墙保温',
  '照明',
  '架空线',
  '地下空间',
  '群租',
  '违建',
  '地桩地锁',
  '停车',
  '无障碍',
  '施工扰民',
  '绿化环境',
  '物业服务',
  '其他',
]
const rank = new Map<Category, number>(priority.map((c, i) => [c, i]))

/** A hit inside one segmented token counts fully; a substring across token boundaries a bit less. */
const substringFactor = 0.8
const negations = ['没有', '不', '没', '未', '无', '别']
const hypotheticals = ['要是', '如果', '万一', '会不会', '一旦', '假如', '以防', '防止', '以免']
const mention = /@改造助手\s?|@\S+\s/g

/** Full-width digits/letters to half-width, whitespace collapsed, trimmed. */
export function normalizeText(text: string): string {
  return text
    .replace(/[\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A]/g, (ch) =>
      String.fromCharCode(ch.charCodeAt(0) - 0xfee0),
    )
    .replace(/\s+/g, ' ')
    .trim()
}

/** Longer words are more specific: 灯 < 路灯 < 楼道灯 < 灯不亮了. */
function weightOf(word: string): number {
  return Math.min(word.length, 5) * 0.5
}

interface WordIndex {
  words: Map<string, readonly Category[]>
  lengths: number[]
}

function buildIndex(): WordIndex {
  const words = new Map<string, Category[]>()
  for (const c of categories) {
    for (const raw of c.words) {
      const word = raw.toLowerCase()
      const cats = words.get(word)
      if (!cats) words.set(word, [c.code])
      else if (!cats.includes(c.code)) cats.push(c.code)
    }
  }
  const lengths = [...new Set([...words.keys()].map((w) => w.length))].sort((a, b) => b - a)
  return { words, lengths }
}

let shared: Jieba | undefined

/** One segmenter per process: loading the dictionary takes ~200 ms. */
function segmenter(): Jieba {
  if (!shared) {
    // Loaded at the first message classified, not at start (~24 MB and 130 ms a process may never need).
    const require = createRequire(import.meta.url)
    const { Jieba } = require('@node-rs/jieba') as typeof import('@node-rs/jieba')
    const { dict } = require('@node-rs/jieba/dict') as typeof import('@node-rs/jieba/dict')
    const jieba = Jieba.withDict(dict)
    const all = new Set<string>(urgentWords)
    for (const c of categories) for (const w of c.words) all.add(w.toLowerCase())
    const lines = [...all].filter((w) => w.length > 1).map((w) => `${w} ${20000 * w.length}`)
    jieba.loadDict(Buffer.from(`${lines.join('\n')}\n`))
    shared = jieba
  }
  return shared
}

function isNegated(text: string, at: number): boolean {
  const before = text.slice(Math.max(0, at - 6), at)
  if (hypotheticals.some((h) => before.includes(h))) return true
  const neg = negations.find((n) => before.endsWith(n))
  if (!neg) return false
  // 是不是漏气了 / 有没有漏水 are questions, not negations.
  const lead = before.slice(0, before.length - neg.length)
  return !(lead.endsWith('是') || lead.endsWith('有'))
}

function findUrgent(text: string): string[] {
  const found: string[] = []
  for (const word of urgentWords) {
    let at = text.indexOf(word)
    while (at >= 0) {
      if (!isNegated(text, at)) {
        found.push(word)
        break
      }
      at = text.indexOf(word, at + 1)
    }
  }
  return found
}

export function createClassifier(): Classifier {
  const index = buildIndex()

  function classify(input: string): Classification {
    const text = normalizeText(normalizeText(input).replace(mention, ' ')).toLowerCase()
    const scores = new Map<Category, number>()
    const hits = new Map<Category, string[]>()
    const add = (word: string, factor: number) => {
      const cats = index.words.get(word)
      if (!cats) return false
      const w = weightOf(word) * factor
      for (const c of cats) {
        scores.set(c, (scores.get(c) ?? 0) + w)
        const list = hits.get(c)
        if (!list) hits.set(c, [word])
        else if (!list.includes(word)) list.push(word)
      }
      return true
    }

    if (text) {
      const covered = new Uint8Array(text.length)
      let pos = 0
      for (const token of segmenter().cut(text, true)) {
        if (add(token, 1)) covered.fill(1, pos, pos + token.length)
        pos += token.length
      }
      // Segmenters split differently: pick up dictionary words that straddle tokens
      // (longest match first) wherever no token already matched.
      for (let i = 0; i < text.length; i++) {
        if (covered[i]) continue
        for (const len of index.lengths) {
          if (i + len > text.length) continue
          const word = text.slice(i, i + len)
          if (index.words.has(word)) {
            add(word, substringFactor)
            i += len - 1
            break
          }
        }
      }
    }

    let best: Category = '其他'
    let bestScore = 0
    for (const [c, s] of scores) {
      if (s > bestScore || (s === bestScore && (rank.get(c) ?? 99) < (rank.get(best) ?? 99))) {
        best = c
        bestScore = s
      }
    }

    const urgent = text ? findUrgent(text) : []
    const matched = [...(hits.get(best) ?? [])]
    for (const u of urgent) if (!matched.includes(u)) matched.push(u)
    const info = categoryInfo(best)
    return {
      category: best,
      menuItem: info.menuItem,
      slaClass: info.slaClass,
      urgency: urgent.length > 0 ? 'urgent' : 'normal',
      matched,
      score: Math.round(bestScore * 100) / 100,
    }
  }

  return { classify }
}
