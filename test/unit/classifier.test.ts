import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type Category, categories, categoryCodes, categoryInfo } from '../../core/classify/categories'
import { createClassifier, normalizeText } from '../../core/classify/classifier'

interface Labelled {
  text: string
  category: Category
  urgent: boolean
}

const classifier = createClassifier()
const fixtures = JSON.parse(
  readFileSync(join(import.meta.dirname, '../fixtures/requests-labelled.json'), 'utf8'),
) as Labelled[]

describe('category table', () => {
  it('has one entry per code with a menu item and words', () => {
    expect(categories.map((c) => c.code)).toEqual([...categoryCodes])
    for (const c of categories) {
      expect(c.menuItem).toMatch(/^(治|补|规范)/)
      if (c.code !== '其他') expect(c.words.length).toBeGreaterThanOrEqual(15)
    }
  })

  it('maps categories to the 六治七补三规范 menu', () => {
    expect(categoryInfo('照明').menuItem).toBe('补市政基础设施')
    expect(categoryInfo('违建').menuItem).toBe('治违法建设')
    expect(categoryInfo('电梯').menuItem).toBe('补居民上楼设施')
    expect(categoryInfo('地桩地锁').menuItem).toBe('补停车设施')
    expect(categoryInfo('燃气').slaClass).toBe('utility')
    expect(categoryInfo('群租').slaClass).toBe('complex')
    expect(categoryInfo('停车').slaClass).toBe('general')
  })
})

describe('normalizeText', () => {
  it('converts full-width digits and letters, collapses whitespace', () => {
    expect(normalizeText('  ３号楼　２单元   ＬＥＤ灯 ')).toBe('3号楼 2单元 LED灯')
  })
})

describe('classifier', () => {
  it('classifies a typical lighting request and maps it to the menu', () => {
    const r = classifier.classify('3号楼楼道灯坏了，晚上黑乎乎的')
    expect(r.category).toBe('照明')
    expect(r.menuItem).toBe('补市政基础设施')
    expect(r.slaClass).toBe('general')
    expect(r.urgency).toBe('normal')
    expect(r.matched).toContain('楼道灯')
    expect(r.score).toBeGreaterThan(0)
  })

  it('detects urgency', () => {
    const gas = classifier.classify('楼道里一股煤气味，快来人')
    expect(gas.category).toBe('燃气')
    expect(gas.slaClass).toBe('utility')
    expect(gas.urgency).toBe('urgent')
    expect(classifier.classify('2号楼电梯困人了').urgency).toBe('urgent')
    expect(classifier.classify('楼上跑水了，往我家滴').category).toBe('上下水')
  })

  it('ignores negated or hypothetical urgent words', () => {
    expect(classifier.classify('修好了，现在不漏水了').urgency).toBe('normal')
    expect(classifier.classify('燃气灶打不着火').urgency).toBe('normal')
    expect(classifier.classify('保温材料会不会着火').urgency).toBe('normal')
    expect(classifier.classify('是不是漏气了，有股味').urgency).toBe('urgent')
  })

  it('falls back to 其他 when nothing matches', () => {
    const r = classifier.classify('大家早上好')
    expect(r).toMatchObject({ category: '其他', menuItem: '补小区治理体系', urgency: 'normal', score: 0 })
    expect(r.matched).toEqual([])
  })

  it('normalises full-width digits and strips the bot mention', () => {
    const r = classifier.classify('@改造助手 ３号楼停电了')
    expect(r.category).toBe('电力')
    expect(r.urgency).toBe('urgent')
  })

  it('handles empty and blank input without throwing', () => {
    for (const text of ['', '   ', '@改造助手 ']) {
      const r = classifier.classify(text)
      expect(r.category).toBe('其他')
      expect(r.urgency).toBe('normal')
    }
  })

  it('is fast after warm-up', () => {
    classifier.classify('暖气不热')
    const n = 2000
    const started = performance.now()
    for (let i = 0; i < n; i++) classifier.classify(fixtures[i % fixtures.length]!.text)
    const perMessage = (performance.now() - started) / n
    console.log(`classifier speed: ${(perMessage * 1000).toFixed(1)} µs/message`)
    expect(perMessage).toBeLessThan(1)
  })
})

describe('classifier accuracy on labelled resident messages', () => {
  it('covers every category at least 7 times', () => {
    const counts = new Map<Category, number>()
    for (const f of fixtures) counts.set(f.category, (counts.get(f.category) ?? 0) + 1)
    for (const code of categoryCodes) expect(counts.get(code) ?? 0, code).toBeGreaterThanOrEqual(7)
    expect(fixtures.length).toBeGreaterThanOrEqual(200)
  })

  it('classifies at least 85% correctly', () => {
    let correct = 0
    let urgencyCorrect = 0
    const misses: string[] = []
    const urgencyMisses: string[] = []
    for (const f of fixtures) {
      const r = classifier.classify(f.text)
      if (r.category === f.category) correct++
      else misses.push(`  want ${f.category} got ${r.category} [${r.matched.join(',')}]: ${f.text}`)
      if ((r.urgency === 'urgent') === f.urgent) urgencyCorrect++
      else urgencyMisses.push(`  want ${f.urgent ? 'urgent' : 'normal'} got ${r.urgency}: ${f.text}`)
    }
    const total = fixtures.length
    const accuracy = correct / total
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`
    console.log(`classifier accuracy: ${correct}/${total} = ${pct(accuracy)}`)
    console.log(`urgency accuracy: ${urgencyCorrect}/${total} = ${pct(urgencyCorrect / total)}`)
    if (misses.length) console.log(`misclassified:\n${misses.join('\n')}`)
    if (urgencyMisses.length) console.log(`urgency misses:\n${urgencyMisses.join('\n')}`)
    expect(accuracy).toBeGreaterThanOrEqual(0.85)
  })
})
