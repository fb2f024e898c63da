// The processing progress websocket: parse, reconnect with backoff, stop for good on 4401/4404.
import type { ProgressMessage } from "./types";

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

export function parseProgressMessage(data: unknown): ProgressMessage | null {
  if (typeof data !== "string") return null;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  if (!value || typeof value !== "object") return null;
  const message = value as Partial<ProgressMessage>;
  if (message.type !== "progress" || typeof message.status !== "string" || typeof message.frames_done !== "number") return null;
  return {
    type: "progress",
    video: Number(message.video),
    status: message.status,
    frames_done: message.frames_done,
    frame_count: typeof message.frame_count === "number" ? message.frame_count : 0,
    fps: typeof message.fps === "number" ? message.fps : null,
    eta_s: typeof message.eta_s === "number" ? message.eta_s : null,
    events: Array.isArray(message.events) ? message.events : null,
    error: typeof message.error === "string" && message.error ? message.error : null,
  };
}

export interface SocketHandlers {
  onMessage: (message: ProgressMessage) => void;
  onConnectionChange?: (connected: boolean) => void;
  /** The server closed with a code that forbids reconnecting. */
  onRefused: (code: number) => void;
}

/** Open and keep open (reconnecting) until the returned stop() is called or the server refuses. */
export function connectVideoSocket(url: string, handlers: SocketHandlers): () => void {
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
      const message = parseProgressMessage(event.data);
      if (message) handlers.onMessage(message);
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
