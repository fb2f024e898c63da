// The player's overlay masks, cached per video; a finished video's partial chunks refetch as frames_done grows.
import { useEffect, useLayoutEffect, useMemo, useRef } from "react";
import { getMaskChunk } from "../../api/client";
import { decodeRle } from "../../mask/rle";
import { MaskChunkCache } from "./maskCache";

/** `framesKnown`: frames processed as far as the page knows (the socket's progress is fresher than the video row). */
export function useMaskCache(videoId: number, frameCount: number, framesKnown: number): MaskChunkCache | null {
  const framesRef = useRef(framesKnown);
  framesRef.current = framesKnown;
  const masks = useMemo(
    () =>
      frameCount > 0
        ? new MaskChunkCache({
            frameCount,
            framesDone: framesRef.current,
            fetchChunk: (start, end, signal) => getMaskChunk(videoId, start, end, signal),
            decode: decodeRle,
          })
        : null,
    [videoId, frameCount],
  );
  useEffect(() => () => masks?.dispose(), [masks]);
  // A layout effect, so the cache knows before the player's (passive) effect redraws the frame on screen.
  useLayoutEffect(() => masks?.setFramesDone(framesKnown), [masks, framesKnown]);
  return masks;
}
