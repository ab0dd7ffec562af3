"""Masks of sensitive data (known answers) and the sensitive-search guard."""

import pytest

from authz.masking import (
    looks_sensitive,
    mask_bank_account,
    mask_fields,
    mask_id_number,
    mask_phone,
)


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("110101199003077774", "110101********7774"),
        ("11010519491231002X", "110105********002X"),
        ("110101900307777", "110101*****7777"),  # 15-digit first-generation ID
        (" 1101011990 03077774 ", "110101********7774"),
        ("E12345678", "*****5678"),  # passport: too short for a head
        ("AB12", "****"),
        ("", ""),
        (None, None),
    ],
)
def test_id_numbers(value: str | None, masked: str | None) -> None:
    assert mask_id_number(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13812345678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("+8613812345678", "+86 138****5678"),
        ("+86 138-1234-5678", "+86 138****5678"),
        ("008613812345678", "+86 138****5678"),
        ("+14155552671", "+1 ******2671"),  # 10-digit national number: at least 4 hidden
        ("+442079460958", "+44 ******0958"),
        ("+35312345678", "+353 ****5678"),  # three-digit country code
        ("021-12345678", "021****5678"),  # landline with area code
        ("12345", "****5"),
        ("n/a", "***"),
        (None, None),
    ],
)
def test_phones(value: str | None, masked: str | None) -> None:
    assert mask_phone(value) == masked


def test_bank_accounts_and_records() -> None:
    assert mask_bank_account("6222 0212 3456 7891 234") == "***************1234"
    assert mask_bank_account("1234") == "****"
    record = {"name": "王芳", "id_number": "110101199003077774", "phone": "13812345678", "n": 1}
    assert mask_fields("customer", record) == {
        "name": "王芳",
        "id_number": "110101********7774",
        "phone": "138****5678",
        "n": 1,
    }
    assert mask_fields("loan", {"bank_account": "6222021234567891234"}) == {
        "bank_account": "***************1234"
    }


@pytest.mark.parametrize(
    ("text", "sensitive"),
    [
        ("王芳", False),
        ("5678", False),  # the visible tail of a masked phone
        ("110101", False),  # the visible head of a masked ID
        ("CRM-12345", False),
        ("002X", False),
        ("1381234", True),  # 7 digits
        ("138 1234 5678", True),
        ("138-1234-5678", True),
        ("(021) 1234-5678", True),
        ("19900307", True),  # a birth date inside an ID number
        ("11010519491231002X", True),
        ("1231002x", True),
        ("31002X", True),  # an ID tail longer than what masking shows
        ("+86 138", False),
    ],
)
def test_search_texts_that_look_sensitive(text: str, sensitive: bool) -> None:
    assert looks_sensitive(text) is sensitive
