// A JSON websocket that stays open: parse each message, reconnect with backoff, stop for good on
// 4401/4404. The video progress socket and the training run socket are both this, with their own parser.

/** Close codes after which reconnecting cannot help (frontend/API.md): log in again / not visible. */
export const CLOSE_UNAUTHENTICATED = 4401;
export const CLOSE_NOT_FOUND = 4404;

export function shouldReconnect(code: number): boolean {
  return code !== CLOSE_UNAUTHENTICATED && code !== CLOSE_NOT_FOUND && code !== 1000;
}

/**
 * Delay before reconnect attempt n (0-based): 1 s doubling to a 30 s ceiling, with +-20% jitter so a
 * server restart is not met by every open tab in the same millisecond.
 */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 1_000 * 2 ** Math.min(attempt, 10));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** A message's JSON object, or null for anything that is not a JSON object in a text frame. */
export function parseJsonObject(data: unknown): Record<string, unknown> | null {
  if (typeof data !== "string") return null;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

export interface SocketHandlers<T> {
  onMessage: (message: T) => void;
  onConnectionChange?: (connected: boolean) => void;
  /** The server closed with a code that forbids reconnecting. */
  onRefused: (code: number) => void;
}

/**
 * Open and keep open (reconnecting) until the returned stop() is called or the server refuses.
 * `parse` turns a frame into a message, or null to ignore it.
 */
export function connectSocket<T>(url: string, parse: (data: unknown) => T | null, handlers: SocketHandlers<T>): () => void {
  let socket: WebSocket | null = null;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;

  const open = () => {
    if (stopped) return;
    socket = new WebSocket(url);
    socket.onopen = () => {
      attempt = 0;
      handlers.onConnectionChange?.(true);
    };
    socket.onmessage = (event: MessageEvent) => {
      const message = parse(event.data);
      if (message !== null) handlers.onMessage(message);
    };
    socket.onclose = (event: CloseEvent) => {
      handlers.onConnectionChange?.(false);
      socket = null;
      if (stopped) return;
      if (event.code === CLOSE_UNAUTHENTICATED || event.code === CLOSE_NOT_FOUND) {
        handlers.onRefused(event.code);
        return;
      }
      timer = setTimeout(open, reconnectDelay(attempt++));
    };
  };
  open();

  return () => {
    stopped = true;
    if (timer !== null) clearTimeout(timer);
    socket?.close(1000);
  };
}
