// durable-ipc/board: the web board over a store, and nothing else.
export { createBoard } from './board/createBoard.js'
export type { Board, BoardOptions, BoardTarget } from './board/createBoard.js'
export { BoardRequestError } from './board/errors.js'
export { CONTENT_SECURITY_POLICY } from './board/http.js'
