let epoch = 0

/**
 * Forgets every token remembered in this process (staff.cache.ts): called by whatever writes staff, as its
 * statement returns, so this process's next call sees the change at once.
 */
export function staffChanged() {
  epoch++
}

export const staffEpoch = () => epoch
