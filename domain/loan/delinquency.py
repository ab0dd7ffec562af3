"""Days past due, delinquency buckets (configuration, not code) and the default test."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

__all__ = [
    "DEFAULT_BUCKETS",
    "DEFAULT_BUCKET_SPEC",
    "DEFAULT_THRESHOLD_DPD",
    "Bucket",
    "bucket_for",
    "days_past_due",
    "is_default",
    "parse_buckets",
]


@dataclass(frozen=True, slots=True)
class Bucket:
    """A named DPD range with inclusive bounds; ``max_dpd`` None means open-ended."""

    name: str
    min_dpd: int
    max_dpd: int | None

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("bucket name must not be empty")
        if self.min_dpd < 0:
            raise ValueError(f"bucket {self.name}: min_dpd must be >= 0, got {self.min_dpd}")
        if self.max_dpd is not None and self.max_dpd < self.min_dpd:
            raise ValueError(
                f"bucket {self.name}: max_dpd {self.max_dpd} is below min_dpd {self.min_dpd}"
            )

    def contains(self, dpd: int) -> bool:
        """True when ``dpd`` lies within this bucket."""
        return self.min_dpd <= dpd and (self.max_dpd is None or dpd <= self.max_dpd)


DEFAULT_BUCKET_SPEC = "M0:0,M1:1-30,M2:31-60,M3:61-90,M4:91-120,M5:121-150,M6:151-180,M7:181+"

#: DOMAIN.md calls M7 "180+", but M6 ends at 180 inclusive, so M7 starts at 181.
DEFAULT_BUCKETS: tuple[Bucket, ...] = (
    Bucket("M0", 0, 0),
    Bucket("M1", 1, 30),
    Bucket("M2", 31, 60),
    Bucket("M3", 61, 90),
    Bucket("M4", 91, 120),
    Bucket("M5", 121, 150),
    Bucket("M6", 151, 180),
    Bucket("M7", 181, None),
)

#: DOMAIN.md: "Default (Basel) is 90+ DPD", read as dpd >= 90. The Basel/CRR wording is
#: "past due more than 90 days" (dpd >= 91, i.e. M4 and worse); pass threshold=91 for that.
DEFAULT_THRESHOLD_DPD = 90


def is_default(dpd: int, threshold: int = DEFAULT_THRESHOLD_DPD) -> bool:
    """Return True when ``dpd >= threshold`` (90+ DPD by default; use 91 for "more than 90")."""
    if dpd < 0:
        raise ValueError(f"dpd must be >= 0, got {dpd}")
    return dpd >= threshold


def _parse_int(text: str, part: str) -> int:
    stripped = text.strip()
    if not stripped.isdigit():
        raise ValueError(f"bucket {part!r}: {stripped!r} is not a non-negative integer")
    return int(stripped)


def _parse_part(part: str) -> Bucket:
    name, sep, rng = part.partition(":")
    name, rng = name.strip(), rng.strip()
    if not sep or not name or not rng:
        raise ValueError(f"bucket {part!r}: expected NAME:MIN, NAME:MIN-MAX or NAME:MIN+")
    if rng.endswith("+"):
        return Bucket(name, _parse_int(rng[:-1], part), None)
    low, dash, high = rng.partition("-")
    if not dash:
        value = _parse_int(low, part)
        return Bucket(name, value, value)
    lo, hi = _parse_int(low, part), _parse_int(high, part)
    if hi < lo:
        raise ValueError(f"bucket {part!r}: upper bound {hi} is below lower bound {lo}")
    return Bucket(name, lo, hi)


def parse_buckets(spec: str) -> tuple[Bucket, ...]:
    """Parse "M0:0,M1:1-30,...,M7:181+" into contiguous buckets starting at 0, last open-ended."""
    parts = [p.strip() for p in spec.split(",")]
    if not spec.strip():
        raise ValueError("bucket specification is empty")
    buckets: list[Bucket] = []
    for part in parts:
        if not part:
            raise ValueError(f"bucket specification {spec!r} has an empty part")
        bucket = _parse_part(part)
        if any(b.name == bucket.name for b in buckets):
            raise ValueError(f"bucket {part!r}: duplicate name {bucket.name!r}")
        if not buckets:
            if bucket.min_dpd != 0:
                raise ValueError(f"bucket {part!r}: the first bucket must start at 0")
        else:
            prev = buckets[-1]
            if prev.max_dpd is None:
                raise ValueError(
                    f"bucket {part!r}: follows open-ended bucket {prev.name!r}; "
                    "only the last bucket may be open-ended"
                )
            if bucket.min_dpd != prev.max_dpd + 1:
                kind = "overlaps" if bucket.min_dpd <= prev.max_dpd else "leaves a gap after"
                raise ValueError(
                    f"bucket {part!r}: {kind} {prev.name!r} "
                    f"(expected it to start at {prev.max_dpd + 1})"
                )
        buckets.append(bucket)
    if buckets[-1].max_dpd is not None:
        raise ValueError(f"bucket {parts[-1]!r}: the last bucket must be open-ended (e.g. 181+)")
    return tuple(buckets)


def bucket_for(dpd: int, buckets: Sequence[Bucket] = DEFAULT_BUCKETS) -> str:
    """Return the name of the bucket that contains ``dpd``."""
    if dpd < 0:
        raise ValueError(f"dpd must be >= 0, got {dpd}")
    for bucket in buckets:
        if bucket.contains(dpd):
            return bucket.name
    raise ValueError(f"no bucket contains dpd {dpd}")


def days_past_due(installments: Iterable[tuple[date, bool]], business_date: date) -> int:
    """Return business date minus the oldest unpaid due date before it (0 when none)."""
    overdue = [due for due, fully_paid in installments if not fully_paid and due < business_date]
    if not overdue:
        return 0
    return (business_date - min(overdue)).days
