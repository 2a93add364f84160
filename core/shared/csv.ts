/** Quotes what needs quoting, and defuses text that a spreadsheet would run as a formula. */
export const csvCell = (raw: string) => {
  const value = /^[=+\-@\t\r]/.test(raw) ? `'${raw}` : raw
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value
}
