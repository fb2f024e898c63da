import { describe, expect, test } from "vitest";
import type { Propagation } from "../../api/propagation";
import { describeResult, plural, reachedRange, runAround } from "./proposals";

describe("runAround", () => {
  test("the run that holds the frame", () => {
    expect(runAround([3, 4, 5, 9, 10], 4)).toEqual([3, 5]);
  });
  test("a keyframe next to its proposals gets the run beside it (forward first)", () => {
    expect(runAround([6, 7, 8, 2, 3, 4], 5)).toEqual([6, 8]);
    expect(runAround([2, 3, 4], 5)).toEqual([2, 4]);
  });
  test("no proposal near the frame", () => {
    expect(runAround([1, 2], 9)).toBeNull();
    expect(runAround([], 0)).toBeNull();
  });
});

describe("describeResult", () => {
  test("says how far each direction went and why it stopped", () => {
    const job = {
      result: {
        forward: { frames: [13, 37], stop_reason: "scene_change", until: null },
        backward: { frames: [11, 11], stop_reason: "keyframe", until: 10 },
      },
    } as unknown as Propagation;
    expect(describeResult(job)).toEqual([
      "Forward: frames 13–37, stopped at a scene change.",
      "Backward: frame 11, stopped at the next frame a person corrected (blended with it).",
    ]);
  });
  test("a direction that reached nothing", () => {
    const job = { result: { forward: { frames: [], stop_reason: "limit", until: null } } } as unknown as Propagation;
    expect(describeResult(job)).toEqual(["Forward: no frames, stopped at the requested number of frames."]);
  });
});

describe("reachedRange", () => {
  test("both directions together", () => {
    const job = { result: { forward: { frames: [11, 14] }, backward: { frames: [9, 6] } } } as unknown as Propagation;
    expect(reachedRange(job)).toEqual([6, 14]);
  });
  test("nothing reached", () => {
    const job = { result: { forward: { frames: [] }, backward: { frames: [] } } } as unknown as Propagation;
    expect(reachedRange(job)).toBeNull();
  });
});

test("plural", () => {
  expect(plural(1, "proposal")).toBe("1 proposal");
  expect(plural(3, "proposal")).toBe("3 proposals");
});
