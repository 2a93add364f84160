/**
 * One error type for every feature. `message` is Chinese and safe to show to residents and officers;
 * `status` is what the API answers with; `code` is stable for programs.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
    this.name = 'AppError'
  }
}

export const isAppError = (error: unknown): error is AppError => error instanceof AppError

export const notFound = (code: string, message: string, details?: unknown) =>
  new AppError(code, 404, message, details)
export const forbidden = (code: string, message: string, details?: unknown) =>
  new AppError(code, 403, message, details)
export const conflict = (code: string, message: string, details?: unknown) =>
  new AppError(code, 409, message, details)
export const invalid = (code: string, message: string, details?: unknown) =>
  new AppError(code, 400, message, details)
