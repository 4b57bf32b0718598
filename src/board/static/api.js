// Talking to the board: JSON reads (the cookie shows the token), actions as POSTs with the token
// in a header (another site can neither send that header nor read the token), and the event
// stream that says when there is something new. URLs are relative: the board may sit under a prefix.

let session

/** The board's session: { token, readOnly, states }. */
export async function getSession() {
  session ??= await getJson('api/session')
  return session
}

/** An error the board answered with: its code and message. */
export class BoardError extends Error {
  constructor(status, code, message) {
    super(message)
    this.status = status
    this.code = code
  }
}

async function answer(response) {
  let body
  try {
    body = await response.json()
  } catch {
    body = undefined
  }
  if (!response.ok) {
    const error = body?.error ?? {}
    throw new BoardError(response.status, error.code ?? 'ERR_BOARD_HTTP', error.message ?? `HTTP ${response.status}`)
  }
  return body
}

/** GETs a JSON endpoint. */
export async function getJson(path) {
  return answer(await fetch(path, { headers: { accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' }))
}

/** POSTs an action. */
export async function post(path, body = {}) {
  const { token } = await getSession()
  return answer(await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-board-token': token },
    credentials: 'same-origin',
    body: JSON.stringify(body),
  }))
}

/** Calls `onVersion(n)` whenever the board has a new snapshot; `onState('live'|'reconnecting')`. */
export function watch(onVersion, onState) {
  const source = new EventSource('api/events')
  source.addEventListener('version', (event) => onVersion(Number(event.data)))
  source.addEventListener('open', () => onState('live'))
  source.addEventListener('error', () => onState('reconnecting'))
  return source
}
