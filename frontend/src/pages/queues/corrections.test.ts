import { describe, expect, test } from "vitest";
import { correctionKey, correctionLink, correctionWhat } from "./corrections";

const frame = { kind: "frame" as const, video: 3, frame: 120, image: null, study: 1, reason: "rejected_event" as const, score: 0.91 };
const image = { kind: "image" as const, video: null, frame: null, image: 8, study: 1, reason: "no_ground_truth" as const, score: null };

test("a frame item opens the frame editor, an image item the image editor", () => {
  expect(correctionLink(frame)).toBe("/app/videos/3/frames/120/edit");
  expect(correctionLink(image)).toBe("/app/images/8/edit");
});

test("frame 0 is a real frame, a missing id is no link", () => {
  expect(correctionLink({ ...frame, frame: 0 })).toBe("/app/videos/3/frames/0/edit");
  expect(correctionLink({ ...frame, video: null })).toBeNull();
  expect(correctionLink({ ...image, image: null })).toBeNull();
});

test("keys tell frames and images apart", () => {
  expect(correctionKey(frame)).toBe("f3:120");
  expect(correctionKey(image)).toBe("i8");
});

describe("correctionWhat", () => {
  test("a frame is named by its file, index and time; an image by its file", () => {
    const frame = { kind: "frame", video: 2, frame: 89, image: null, study: 1, reason: "low_confidence", score: 0.4,
      patient_pseudo_id: "PT-1", name: "colonoscopy-a.mp4", time_s: 3.56 } as const;
    expect(correctionWhat(frame)).toBe("colonoscopy-a.mp4 · frame 89 (0:03.56)");
    const image = { kind: "image", video: null, frame: null, image: 7, study: 1, reason: "no_ground_truth", score: null,
      name: "cju0qkwl35piu0993l0dewei2.jpg", time_s: null } as const;
    expect(correctionWhat(image)).toBe("cju0qkwl35piu0993l0dewei2.jpg");
  });
});
