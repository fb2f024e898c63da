import { describe, expect, test } from "vitest";
import { seededRandom } from "../editor/testing";
import fixtures from "./rle.fixtures.json";
import {
  countsToMask,
  countsToString,
  decodeRle,
  encodeRle,
  maskToCounts,
  stringToCounts,
} from "./rle";

/** Cases written by make_rle_fixtures.py from webapp/videos/rle.py (the server's codec). */
interface Fixture {
  name: string;
  height: number;
  width: number;
  /** Row-major '0'/'1' characters. */
  mask: string;
  counts: number[];
  rle: string;
}

const cases = fixtures as Fixture[];

function maskFromString(s: string): Uint8Array {
  const m = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) m[i] = s.charCodeAt(i) === 49 ? 1 : 0;
  return m;
}


describe("against the Python implementation", () => {
  test("there are fixtures", () => {
    expect(cases.length).toBeGreaterThanOrEqual(10);
  });
  for (const c of cases) {
    test(`encode matches rle.py: ${c.name}`, () => {
      const mask = maskFromString(c.mask);
      expect(maskToCounts(mask, c.height, c.width)).toEqual(c.counts);
      expect(encodeRle(mask, c.height, c.width)).toBe(c.rle);
    });
    test(`decode matches rle.py: ${c.name}`, () => {
      expect(stringToCounts(c.rle)).toEqual(c.counts);
      expect(decodeRle(c.rle, c.height, c.width)).toEqual(maskFromString(c.mask));
    });
  }
});

describe("layout", () => {
  test("runs are column-major and start with zeros", () => {
    // 2 x 3, row-major:  1 1 0 / 0 0 0  -> column-major: 1,0, 1,0, 0,0 -> runs 0,1,1,1,2
    const mask = Uint8Array.from([1, 1, 0, 0, 0, 0]);
    expect(maskToCounts(mask, 2, 3)).toEqual([0, 1, 1, 1, 3]);
  });
  test("non-zero bytes count as one", () => {
    // 2 x 2 row-major 255 0 / 7 0 -> column-major 255, 7, 0, 0.
    const mask = Uint8Array.from([255, 0, 7, 0]);
    expect(maskToCounts(mask, 2, 2)).toEqual([0, 2, 2]);
  });
  test("the difference coding starts at the fourth count (pycocotools' i > 2)", () => {
    // Strings checked against rle.py. counts[2] = 100 is written whole: 100 = 3 * 32 + 4 ->
    // groups (4 | 0x20) + 48 = 'T', 3 + 48 = '3' (a difference 100 - 5 = 95 would give 'o2').
    // counts[3] = 3 is written as 3 - 3 = 0 -> '0'; counts[4] = 95 as 95 - 100 = -5 -> 'K'.
    expect(countsToString([5, 3, 100])).toBe("53T3");
    expect(countsToString([5, 3, 100, 3, 95])).toBe("53T30K");
    expect(stringToCounts("53T30K")).toEqual([5, 3, 100, 3, 95]);
  });
  test("negative differences round-trip", () => {
    const counts = [1000, 5, 2, 900, 0, 3, 40000, 1];
    expect(stringToCounts(countsToString(counts))).toEqual(counts);
  });
});

describe("errors", () => {
  test("decode throws when runs do not cover the mask", () => {
    const rle = encodeRle(new Uint8Array(12), 3, 4);
    expect(() => decodeRle(rle, 4, 4)).toThrow(/covers 12 pixels.*16/);
  });
  test("decode throws on characters outside the alphabet", () => {
    expect(() => decodeRle("0 0", 1, 1)).toThrow(/invalid character/);
  });
  test("decode throws on a truncated count", () => {
    // 'h' = 56 + 48: continuation bit set, then the string ends.
    expect(() => stringToCounts("h")).toThrow(/middle of a count/);
  });
  test("decode throws on negative runs", () => {
    expect(() => countsToMask([5, -1, 2], 2, 3)).toThrow(/negative/);
  });
  test("encode throws when the mask length is wrong", () => {
    expect(() => encodeRle(new Uint8Array(5), 2, 3)).toThrow(/5 bytes/);
  });
});

describe("round trip on random masks", () => {
  const next = seededRandom(12345);
  for (let trial = 0; trial < 60; trial++) {
    const height = 1 + Math.floor(next() * 40);
    const width = 1 + Math.floor(next() * 40);
    const density = next();
    // Mix noise with blocky shapes so both short and long runs appear.
    const mask = new Uint8Array(height * width);
    const blocky = trial % 2 === 0;
    for (let i = 0; i < mask.length; i++) {
      if (blocky) {
        const y = Math.floor(i / width);
        const x = i % width;
        mask[i] = ((x >> 3) + (y >> 2)) % 3 === 0 ? 1 : 0;
      } else {
        mask[i] = next() < density ? 1 : 0;
      }
    }
    test(`random ${height}x${width} #${trial}`, () => {
      const rle = encodeRle(mask, height, width);
      expect(decodeRle(rle, height, width)).toEqual(mask);
      const counts = maskToCounts(mask, height, width);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(height * width);
    });
  }
});

describe("speed", () => {
  test("1920 x 1080 encode and decode are each well under 20 ms", { timeout: 30_000 }, () => {
    const width = 1920;
    const height = 1080;
    const mask = new Uint8Array(width * height);
    // A few large ellipses: a realistic polyp mask, plus a noisy border that makes many runs.
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const a = ((x - 900) / 300) ** 2 + ((y - 500) / 200) ** 2 < 1;
        const b = ((x - 1500) / 120) ** 2 + ((y - 800) / 90) ** 2 < 1;
        mask[y * width + x] = a || b || (y < 20 && (x * 7 + y * 13) % 5 === 0) ? 1 : 0;
      }
    }
    // Warm up the JIT, then take the best of a few runs so a busy shared CI box does not flake.
    let best = { enc: Infinity, dec: Infinity };
    let rle = "";
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      rle = encodeRle(mask, height, width);
      const t1 = performance.now();
      const back = decodeRle(rle, height, width);
      const t2 = performance.now();
      best = { enc: Math.min(best.enc, t1 - t0), dec: Math.min(best.dec, t2 - t1) };
      expect(back[500 * width + 900]).toBe(1);
    }
    // A plain loop: a deep toEqual over 2 million elements takes seconds in the matcher.
    const back = decodeRle(rle, height, width);
    let mismatches = 0;
    for (let i = 0; i < mask.length; i++) if (back[i] !== mask[i]) mismatches++;
    expect(mismatches).toBe(0);
    expect(best.enc).toBeLessThan(20);
    expect(best.dec).toBeLessThan(20);
  });
});
