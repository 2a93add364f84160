import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Jieba } from '@node-rs/jieba'
import { dict } from '@node-rs/jieba/dict'
import { createClassifier } from '../../core/classify/classifier'

import { type Bench, type BenchContext, time } from '../kit'

const fixtures = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'requests-labelled.json'), 'utf8'),
) as { text: string }[]

/** Classifying a message against segmenting it with a bare jieba: the cost of the dictionary on top. */
async function classify(ctx: BenchContext) {
  const classifier = createClassifier()
  const jieba = Jieba.withDict(dict)
  const texts = fixtures.map((f) => f.text)
  const rounds = 40
  for (const t of texts) classifier.classify(t)
  const baseline = await time(() => {
    for (let r = 0; r < rounds; r++) for (const t of texts) jieba.cut(t)
  })
  const value = await time(() => {
    for (let r = 0; r < rounds; r++) for (const t of texts) classifier.classify(t)
  })
  const n = rounds * texts.length
  ctx.report({
    name: 'classify',
    value: (value * 1000) / n,
    unit: 'µs/message',
    baseline: (baseline * 1000) / n,
    ratio: value / baseline,
    database: 'none',
  })
}

export const benches: Bench[] = [
  {
    name: 'classify',
    description: 'Classifying a message against a bare jieba segmentation',
    databases: ['none'],
    run: classify,
  },
]
