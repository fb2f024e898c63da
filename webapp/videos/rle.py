"""COCO-style run-length encoding of boolean masks, as a compact ASCII string.

Same layout as pycocotools (so masks export to COCO as they are stored): runs are counted over the
mask in column-major (Fortran) order, starting with a run of zeros (possibly of length 0); the counts
are written with COCO's compressed string coding: from the third count on, each count is stored as
its difference to the count two places before, in 5-bit little-endian groups with a continuation bit,
each group offset by 48 into printable ASCII. A 288 x 384 frame with one polyp takes a few hundred bytes.

encode() and encode_counts() run pycocotools' C code (the writer thread encodes every frame of every video:
the Python coder below took about 0.2 ms for a 574 x 500 frame with one polyp, pycocotools about 0.02 ms);
run_lengths() and counts_to_string() are the reference they are tested against byte for byte
(tests/webapp/videos/test_rle.py), and decode() stays in Python: it checks what it is given.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pycocotools import _mask as coco


def run_lengths(mask: np.ndarray) -> list[int]:
    """(H, W) bool -> run lengths in column-major order, the first run counting zeros."""
    flat = np.asarray(mask, dtype=bool).ravel(order="F")
    if flat.size == 0:
        return []
    changes = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate(([0], changes, [flat.size]))
    counts = np.diff(bounds).tolist()
    if flat[0]:
        counts.insert(0, 0)
    return counts


def counts_to_string(counts: list[int]) -> str:
    out: list[str] = []
    for i, count in enumerate(counts):
        x = count - counts[i - 2] if i > 2 else count
        more = True
        while more:
            c = x & 0x1F
            x >>= 5  # arithmetic shift: negative differences end in all-ones groups
            more = x != -1 if c & 0x10 else x != 0
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return "".join(out)


def string_to_counts(text: str) -> list[int]:
    counts: list[int] = []
    p = 0
    while p < len(text):
        x, k, more = 0, 0, True
        while more:
            if p >= len(text):
                raise ValueError("RLE string ends in the middle of a count")
            c = ord(text[p]) - 48
            if not 0 <= c < 64:
                raise ValueError(f"RLE string holds an invalid character {text[p]!r}")
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and c & 0x10:
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    return counts


def encode(mask: np.ndarray) -> str:
    """(H, W) bool mask -> compressed COCO RLE string (the size is stored beside it, not in it)."""
    mask = np.asarray(mask, dtype=bool)
    if mask.size == 0:
        return ""
    height, width = mask.shape
    # pycocotools walks the buffer in column-major order: a Fortran-ordered uint8 (H, W, 1) array.
    (coded,) = coco.encode(np.asfortranarray(mask.view(np.uint8).reshape(height, width, 1)))
    return coded["counts"].decode("ascii")


def encode_counts(runs: Sequence[np.ndarray], height: int, width: int) -> list[str]:
    """Run lengths (as run_lengths() gives them, one array per mask of height x width) -> their strings, in one
    call into pycocotools (the video pipeline's masks arrive as run lengths: inference/postprocess.py)."""
    if not runs:
        return []
    if height * width == 0:
        return ["" for _ in runs]
    coded = coco.frUncompressedRLE([{"counts": np.asarray(c, dtype=np.uint32), "size": [height, width]}
                                    for c in runs], height, width)
    return [c["counts"].decode("ascii") for c in coded]


def max_text_length(height: int, width: int) -> int:
    """The longest string encode() can give for a height x width mask: a longer one cannot fit the frame.

    With n = height * width pixels there are at most n + 1 counts (the first may be 0, the others are >= 1),
    and they sum to n. Each count is written as a value x (the count, or its difference to the count two
    places before) in 5-bit groups read as two's complement: k - 1 groups hold any |x| < 2^(5k - 6), so a
    value that needs k >= 2 characters has |x| >= 2^(5k - 6) >= 16 (k - 1), i.e. it takes at most 1 + |x| / 16
    characters (k = 2 from |x| = 16, k = 3 from 512, ...). Since |x| <= c_i + c_(i-2), the |x| sum to at most
    2n, and the whole string to at most (n + 1) + 2n / 16 = n + 1 + n / 8 characters: 124,417 for a 288 x 384
    frame (a mask alternating every pixel takes 110,593).
    """
    pixels = height * width
    return pixels + 1 + pixels // 8


def decode(text: str, height: int, width: int) -> np.ndarray:
    """Compressed COCO RLE string -> (height, width) bool mask; raises ValueError when they do not fit.

    A string longer than any mask of that size can give is refused before it is parsed (parsing costs about
    0.5 s of CPU a megabyte in Python: 4.3 s for 9 MB on the 2-core dev machine)."""
    if len(text) > max_text_length(height, width):
        raise ValueError(f"the RLE string is {len(text)} characters; a {height} x {width} mask takes at most "
                         f"{max_text_length(height, width)}")
    counts = string_to_counts(text)
    if sum(counts) != height * width or any(c < 0 for c in counts):
        raise ValueError(f"RLE covers {sum(counts)} pixels, the mask has {height * width}")
    values = np.zeros(len(counts), dtype=bool)
    values[1::2] = True
    flat = np.repeat(values, counts)
    return flat.reshape((height, width), order="F")
