import { describe, expect, test } from "vitest";
import {
  clamp,
  clampToImage,
  distance,
  fitToContainer,
  imagePoint,
  imageToScreen,
  intersectRect,
  MAX_ZOOM,
  MIN_ZOOM,
  panBy,
  pixelBounds,
  rect,
  screenPoint,
  screenToImage,
  unionRect,
  zoomAbout,
  zoomTo,
  type ViewTransform,
} from "./index";

const view: ViewTransform = { zoom: 2, panX: 10, panY: -20 };

describe("view transform", () => {
  test("imageToScreen scales then pans", () => {
    const s = imageToScreen(view, imagePoint(5, 7));
    expect([s.x, s.y]).toEqual([20, -6]);
  });
  test("screenToImage inverts imageToScreen", () => {
    const p = imagePoint(123.25, 45.5);
    const back = screenToImage(view, imageToScreen(view, p));
    expect(back.x).toBeCloseTo(p.x, 10);
    expect(back.y).toBeCloseTo(p.y, 10);
  });
  test("zoomAbout keeps the image point under the anchor fixed", () => {
    const anchor = screenPoint(300, 200);
    const before = screenToImage(view, anchor);
    const zoomed = zoomAbout(view, 3, anchor);
    expect(zoomed.zoom).toBe(6);
    const after = screenToImage(zoomed, anchor);
    expect(after.x).toBeCloseTo(before.x, 10);
    expect(after.y).toBeCloseTo(before.y, 10);
  });
  test("zoom is clamped, and the anchor still stays fixed", () => {
    const anchor = screenPoint(50, 60);
    const before = screenToImage(view, anchor);
    const big = zoomTo(view, 1e6, anchor);
    expect(big.zoom).toBe(MAX_ZOOM);
    expect(screenToImage(big, anchor).x).toBeCloseTo(before.x, 10);
    expect(zoomAbout(view, 1e-9, anchor).zoom).toBe(MIN_ZOOM);
  });
  test("panBy moves the image by screen pixels", () => {
    expect(panBy(view, 5, 6)).toEqual({ zoom: 2, panX: 15, panY: -14 });
  });
  test("fitToContainer fits the limiting side and centres the other", () => {
    // 1920 x 1080 into 960 x 960: width limits, zoom 0.5, image 540 px tall centred -> 210 px margin.
    const v = fitToContainer(1920, 1080, 960, 960);
    expect(v).toEqual({ zoom: 0.5, panX: 0, panY: 210 });
    const corner = imageToScreen(v, imagePoint(1920, 1080));
    expect([corner.x, corner.y]).toEqual([960, 750]);
  });
  test("fitToContainer leaves padding on the limiting side", () => {
    const v = fitToContainer(100, 100, 220, 120, 10);
    expect(v.zoom).toBe(1);
    expect(v.panY).toBe(10);
    expect(v.panX).toBe(60);
  });
  test("fitToContainer of a zero-size container is the identity", () => {
    expect(fitToContainer(100, 100, 0, 0)).toEqual({ zoom: 1, panX: 0, panY: 0 });
  });
});

describe("points", () => {
  test("clamp and clampToImage", () => {
    expect(clamp(5, 0, 3)).toBe(3);
    expect(clamp(-1, 0, 3)).toBe(0);
    const p = clampToImage(imagePoint(-4, 700), 640, 480);
    expect([p.x, p.y]).toEqual([0, 480]);
  });
  test("distance", () => {
    expect(distance(imagePoint(0, 0), imagePoint(3, 4))).toBe(5);
  });
});

describe("rects", () => {
  test("union ignores null and empty rects", () => {
    expect(unionRect(null, null)).toBeNull();
    expect(unionRect(null, rect(1, 2, 3, 4))).toEqual(rect(1, 2, 3, 4));
    expect(unionRect(rect(5, 5, 5, 9), rect(1, 2, 3, 4))).toEqual(rect(1, 2, 3, 4));
    expect(unionRect(rect(0, 0, 2, 2), rect(5, 1, 6, 9))).toEqual(rect(0, 0, 6, 9));
  });
  test("intersection", () => {
    expect(intersectRect(rect(0, 0, 10, 10), rect(5, 5, 20, 20))).toEqual(rect(5, 5, 10, 10));
    expect(intersectRect(rect(0, 0, 10, 10), rect(10, 0, 20, 10))).toBeNull();
  });
  test("pixelBounds clips to the image", () => {
    expect(pixelBounds(-5.5, 3.2, 4.1, 8.9, 100, 100)).toEqual(rect(0, 3, 6, 10));
    expect(pixelBounds(200, 200, 300, 300, 100, 100)).toBeNull();
  });
});
