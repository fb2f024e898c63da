import { expect, test } from "vitest";
import { parseJsonObject, reconnectDelay, shouldReconnect } from "./socket";

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

test("only JSON objects in text frames are messages", () => {
  expect(parseJsonObject('{"type": "run"}')).toEqual({ type: "run" });
  expect(parseJsonObject("[1]")).toBeNull();
  expect(parseJsonObject("null")).toBeNull();
  expect(parseJsonObject("{not json")).toBeNull();
  expect(parseJsonObject(new ArrayBuffer(2))).toBeNull();
});
