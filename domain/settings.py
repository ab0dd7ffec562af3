"""Configuration read from the environment, in one place."""

import os
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

from domain.loan.delinquency import DEFAULT_BUCKETS, Bucket, parse_buckets


@dataclass(frozen=True)
class Settings:
    """Institution-wide settings; see the README's configuration table."""

    time_zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    buckets: tuple[Bucket, ...] = DEFAULT_BUCKETS
    mode: str = "production"  # "demo" and "test" allow setting the business date

    @property
    def business_date_settable(self) -> bool:
        """Whether an administrator may move the business date (demo and test only)."""
        return self.mode in ("demo", "test")


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The settings of this process, from LENDGRAPH_* variables."""
    spec = os.environ.get("LENDGRAPH_BUCKETS")
    return Settings(
        time_zone=ZoneInfo(os.environ.get("LENDGRAPH_TIMEZONE", "Asia/Shanghai")),
        buckets=parse_buckets(spec) if spec else DEFAULT_BUCKETS,
        mode=os.environ.get("LENDGRAPH_MODE", "production"),
    )
