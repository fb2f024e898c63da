import { videoSocketUrl } from "../../api/client";
import type { ProgressMessage } from "../../api/types";
import { useSocket, type SocketState } from "../../api/useSocket";
import { parseProgressMessage } from "../../api/videoSocket";

export type { SocketState };

/** Follow a video's processing over the websocket while `active`; closes itself when not. */
export function useVideoSocket(videoId: number, active: boolean, onMessage: (message: ProgressMessage) => void): SocketState {
  return useSocket(videoSocketUrl(videoId, window.location), parseProgressMessage, active, onMessage);
}
