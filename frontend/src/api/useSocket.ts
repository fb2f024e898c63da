import { useEffect, useRef, useState } from "react";
import { reportAuthLost } from "./http";
import { CLOSE_UNAUTHENTICATED, connectSocket } from "./socket";

export interface SocketState {
  connected: boolean;
  /** The server said the object is not visible (4404): no more reconnecting. */
  notVisible: boolean;
}

/**
 * Follow a websocket while `active`; closes itself when not. `url` and `parse` should be stable (the
 * socket reopens when the url changes). 4401 sends the user to log in; 4404 sets notVisible.
 */
export function useSocket<T>(url: string, parse: (data: unknown) => T | null, active: boolean, onMessage: (message: T) => void): SocketState {
  const [connected, setConnected] = useState(false);
  const [notVisible, setNotVisible] = useState(false);
  const handler = useRef(onMessage);
  handler.current = onMessage;
  const parser = useRef(parse);
  parser.current = parse;

  useEffect(() => {
    if (!active) return;
    const stop = connectSocket(url, (data) => parser.current(data), {
      onMessage: (message) => handler.current(message),
      onConnectionChange: setConnected,
      onRefused: (code) => {
        if (code === CLOSE_UNAUTHENTICATED) reportAuthLost();
        else setNotVisible(true);
      },
    });
    return () => {
      stop();
      setConnected(false);
    };
  }, [url, active]);

  return { connected, notVisible };
}
