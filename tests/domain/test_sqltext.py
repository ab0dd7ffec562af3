"""Raw statements written once for both databases."""

import pytest

from domain import sqltext


def test_named_parameters_become_each_dialects_placeholders_in_order() -> None:
    sql = "SELECT :day::date - due_date FROM installment WHERE loan_id = :loan AND due_date < :day"
    on_pg, values = sqltext.bind(sql, {"day": "2026-06-15", "loan": 7}, pg=True)
    assert (
        on_pg == "SELECT $1::date - due_date FROM installment WHERE loan_id = $2 AND due_date < $3"
    )
    assert values == ["2026-06-15", 7, "2026-06-15"]  # a name used twice: two values
    on_sqlite, _ = sqltext.bind(sql, {"day": "2026-06-15", "loan": 7}, pg=False)
    assert (
        on_sqlite == "SELECT ?::date - due_date FROM installment WHERE loan_id = ? AND due_date < ?"
    )


def test_a_parameter_without_a_value_is_named() -> None:
    with pytest.raises(KeyError, match=":hi"):
        sqltext.bind("SELECT 1 WHERE id >= :lo AND id < :hi", {"lo": 0}, pg=True)


def test_buckets_become_a_case_with_their_names_as_parameters() -> None:
    from domain.loan.delinquency import Bucket

    case, names = sqltext.bucket_case("x.dpd", [Bucket("M0", 0, 0), Bucket("M1", 1, None)])
    assert (
        case
        == "CASE WHEN x.dpd >= 0 AND x.dpd <= 0 THEN :bucket_0 WHEN x.dpd >= 1 THEN :bucket_1 END"
    )
    assert names == {"bucket_0": "M0", "bucket_1": "M1"}
