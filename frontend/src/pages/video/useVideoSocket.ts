import { useEffect, useRef, useState } from "react";
import { videoSocketUrl } from "../../api/client";
import { reportAuthLost } from "../../api/http";
import type { ProgressMessage } from "../../api/types";
import { CLOSE_UNAUTHENTICATED, connectVideoSocket } from "../../api/videoSocket";

export interface SocketState {
  connected: boolean;
  /** The server said the video is not visible (4404): no more reconnecting. */
  notVisible: boolean;
}

/** Follow a video's processing over the websocket while `active`; closes itself when not. */
export function useVideoSocket(videoId: number, active: boolean, onMessage: (message: ProgressMessage) => void): SocketState {
  const [connected, setConnected] = useState(false);
  const [notVisible, setNotVisible] = useState(false);
  const handler = useRef(onMessage);
  handler.current = onMessage;

  useEffect(() => {
    if (!active) return;
    const stop = connectVideoSocket(videoSocketUrl(videoId, window.location), {
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
  }, [videoId, active]);

  return { connected, notVisible };
}
