/** See build.mjs. */
export const root: string
export const distDir: string
export function sourceState(): { newest: number; files: number }
export function isStale(outdir?: string): boolean
export function build(outdir?: string): Promise<{ compiledMs: number; templateMs: number }>
export function buildIfStale(outdir?: string): Promise<boolean>
