"""Token buckets stay bounded: a flood of new callers neither grows them nor frees a caller
who is still sending from its limit."""

from __future__ import annotations

from api import ratelimit
from api.ratelimit import Buckets, Rate


def test_a_flood_of_new_callers_keeps_the_buckets_bounded_and_the_busy_caller_limited() -> None:
    buckets = Buckets(Rate(per_second=0.001, burst=2))
    now = 1000.0
    assert buckets.take("address:busy", now) == 0 and buckets.take("address:busy", now) == 0
    for n in range(3 * ratelimit.KEPT):
        buckets.take(f"address:10.{n}", now)
        if n % 1000 == 0:  # the busy caller keeps asking, and stays refused
            assert buckets.take("address:busy", now) > 0
    assert len(buckets) == ratelimit.KEPT
    assert buckets.take("address:busy", now) > 0


def test_an_api_key_is_its_own_caller_only_once_verified() -> None:
    key = "lgk_" + "k" * 40
    before = ratelimit.caller_from("", key, "10.0.0.1")
    ratelimit.remember_key(key)
    after = ratelimit.caller_from("", key, "10.0.0.1")
    assert (before.kind, before.who, before.key) == ("address", "10.0.0.1", key)
    assert after.kind == "api key" and after.key is None and not after.anonymous
