// The board's refusals: what a request gets instead of an answer, with its HTTP status and a
// code. The board answers these as JSON ({ error: { code, message } }); nothing else a request
// can cause reaches the page but a generic 500 without details.
import { DurableIpcError } from '../errors.js'

/**
 * A request the board refuses. Codes: `ERR_BOARD_BAD_REQUEST` (400), `ERR_BOARD_UNAUTHORIZED`
 * (401: no or a wrong token), `ERR_BOARD_FORBIDDEN` (403: another origin, or an action on a
 * read-only board), `ERR_BOARD_NOT_FOUND` (404), `ERR_BOARD_METHOD` (405), `ERR_BOARD_TOO_LARGE`
 * (413), `ERR_BOARD_UNSUPPORTED_TYPE` (415), `ERR_BOARD_UNAVAILABLE` (503: the broker closed).
 *
 * @example
 * throw new BoardRequestError(403, 'ERR_BOARD_FORBIDDEN', 'This board is read-only')
 */
export class BoardRequestError extends DurableIpcError {
  readonly status: number
  constructor(status: number, code: string, message: string) {
    super(code, message)
    this.status = status
  }
}
BoardRequestError.prototype.name = 'BoardRequestError'
