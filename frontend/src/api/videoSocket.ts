// The processing progress websocket: its message parser over the shared reconnecting socket (socket.ts).
import { connectSocket, parseJsonObject, type SocketHandlers } from "./socket";
import type { ProgressMessage } from "./types";

export { CLOSE_NOT_FOUND, CLOSE_UNAUTHENTICATED, reconnectDelay, shouldReconnect } from "./socket";

export function parseProgressMessage(data: unknown): ProgressMessage | null {
  const value = parseJsonObject(data);
  if (!value) return null;
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

/** Open and keep open (reconnecting) until the returned stop() is called or the server refuses. */
export function connectVideoSocket(url: string, handlers: SocketHandlers<ProgressMessage>): () => void {
  return connectSocket(url, parseProgressMessage, handlers);
}
