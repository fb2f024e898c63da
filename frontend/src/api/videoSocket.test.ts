import { expect, test } from "vitest";
import { parseProgressMessage, reconnectDelay, shouldReconnect } from "./videoSocket";

test("backoff doubles from one second to a 30 s ceiling", () => {
  const middle = () => 0.5;
  expect([0, 1, 2, 3, 4, 5, 6, 20].map((n) => reconnectDelay(n, middle))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
});

test("jitter stays within 20% either way", () => {
  expect(reconnectDelay(2, () => 0)).toBe(3_200);
  expect(reconnectDelay(2, () => 1)).toBe(4_800);
});

test("it does not reconnect after 4401 or 4404", () => {
  expect(shouldReconnect(4401)).toBe(false);
  expect(shouldReconnect(4404)).toBe(false);
  expect(shouldReconnect(1006)).toBe(true);
  expect(shouldReconnect(1011)).toBe(true);
});

test("progress messages are parsed and defaulted; anything else is ignored", () => {
  const message = parseProgressMessage(
    JSON.stringify({ type: "progress", video: 4, status: "processing", frames_done: 120, frame_count: 900, fps: 41.5, eta_s: 18.8, events: null, error: "" }),
  );
  expect(message).toEqual({ type: "progress", video: 4, status: "processing", frames_done: 120, frame_count: 900, fps: 41.5, eta_s: 18.8, events: null, error: null });
  expect(parseProgressMessage("{not json")).toBeNull();
  expect(parseProgressMessage(JSON.stringify({ type: "hello" }))).toBeNull();
  expect(parseProgressMessage(42)).toBeNull();
});
