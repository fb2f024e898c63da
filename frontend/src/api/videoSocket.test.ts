import { expect, test } from "vitest";
import { parseProgressMessage } from "./videoSocket";

test("progress messages are parsed and defaulted; anything else is ignored", () => {
  const message = parseProgressMessage(
    JSON.stringify({ type: "progress", video: 4, status: "processing", frames_done: 120, frame_count: 900, fps: 41.5, eta_s: 18.8, events: null, error: "" }),
  );
  expect(message).toEqual({ type: "progress", video: 4, status: "processing", frames_done: 120, frame_count: 900, fps: 41.5, eta_s: 18.8, events: null, error: null });
  expect(parseProgressMessage("{not json")).toBeNull();
  expect(parseProgressMessage(JSON.stringify({ type: "hello" }))).toBeNull();
  expect(parseProgressMessage(42)).toBeNull();
});
