"""Part planning, pure: how a file of `size` bytes is cut into numbered parts (1-based, S3's numbering).

The frontend's client (frontend/src/api/resumableUpload.ts) cuts the file the same way from the session's
`part_size`: part n covers bytes [(n - 1) * part_size, min(n * part_size, size)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# S3's multipart limits (docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html): every part but the last at
# least 5 MiB, at most 5 GiB a part, at most 10,000 parts an upload.
S3_MIN_PART_BYTES = 5 * 1024**2
MAX_PARTS = 10_000


@dataclass(frozen=True)
class PartPlan:
    size: int  # bytes of the whole file, > 0
    part_size: int  # bytes of every part but the last

    @property
    def count(self) -> int:
        return math.ceil(self.size / self.part_size)

    def part_bytes(self, number: int) -> int:
        """The exact length of part `number` (1..count)."""
        if not 1 <= number <= self.count:
            raise ValueError(f"part {number}: the parts are 1 to {self.count}")
        return min(self.part_size, self.size - (number - 1) * self.part_size)

    def missing(self, held: dict[int, int]) -> list[int]:
        """Part numbers not held at their exact length (held: number -> bytes stored)."""
        return [n for n in range(1, self.count + 1) if held.get(n) != self.part_bytes(n)]


def part_size_for(size: int, *, preferred: int, minimum: int = 1) -> int:
    """The part size of a file: `preferred` (settings.UPLOAD_PART_BYTES), raised to `minimum` (S3: 5 MiB) and to what
    keeps the count within MAX_PARTS."""
    return max(preferred, minimum, math.ceil(size / MAX_PARTS))


def largest_part(*, max_size: int, preferred: int) -> int:
    """The longest part any session can have on local disk (the body guard's limit for a part's PUT)."""
    return part_size_for(max_size, preferred=preferred)
