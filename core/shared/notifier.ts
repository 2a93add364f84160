/** A tiny wake-up signal: the sender sleeps until the poll interval or until someone calls `notify`. */
export interface Notifier {
  notify(): void
  wait(ms: number): Promise<void>
}

export function createNotifier(): Notifier {
  let wake: (() => void) | undefined
  let pending = false
  return {
    notify() {
      pending = true
      wake?.()
    },
    wait(ms) {
      if (pending) {
        pending = false
        return Promise.resolve()
      }
      return new Promise((resolve) => {
        const timer = setTimeout(done, ms)
        function done() {
          clearTimeout(timer)
          wake = undefined
          pending = false
          resolve()
        }
        wake = done
      })
    },
  }
}
