"""A step's detail from its chunks': what an administrator reads in `dailyRun`."""

from domain.daily.chunks import merge


def test_counts_add_up_and_month_ends_are_the_most_any_chunk_kept() -> None:
    # three ranges kept the year's 13 month ends, the last range had no loans then
    chunks = [
        {"months": 13, "rows": 120_000},
        {"months": 13, "rows": 118_500},
        {"months": 0, "rows": 0},
    ]
    assert merge(chunks) == {"months": 13, "rows": 238_500}


def test_what_every_chunk_reports_alike_is_taken_once_and_mappings_merge() -> None:
    chunks = [
        {"customers": 3, "segments": 2, "tag_rules": {"rules": 4, "tag_changes": 1}},
        {"customers": 5, "segments": 2, "tag_rules": {"rules": 4, "tag_changes": 6}},
    ]
    assert merge(chunks) == {
        "customers": 8, "segments": 2, "tag_rules": {"rules": 4, "tag_changes": 7},
    }  # fmt: skip
