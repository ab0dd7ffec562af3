"""Customers: identities (valid resident IDs and credit codes), contacts, managers and labels.

Resident IDs, phone numbers and credit codes come from the same affine bijections over the
customer index as `domain.seed.people` (so they are unique), with their check characters
computed in SQL. Risk rating, lifecycle stage and RFM start from the customer's loans, bureau
score and repayments by the seed's rules; the daily run recomputes them.
"""

from __future__ import annotations

from datetime import date

from domain.seed import catalog
from domain.seed.people import _ORG_WEIGHTS, _USCC_CHARS, _USCC_WEIGHTS, Keys

from .lending import padded
from .sqltext import Draws, array, lit, local_time

_RESIDENT_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
PERSON_CHANNELS = (("SMS", 0.35), ("APP_PUSH", 0.35), ("EMAIL", 0.1), ("PHONE", 0.2))
BUSINESS_CHANNELS = (("SMS", 0.15), ("APP_PUSH", 0.1), ("EMAIL", 0.4), ("PHONE", 0.35))


def _weighted_sum(text: str, weights: tuple[int, ...], value: str = "{c}::int") -> str:
    terms = [
        f"{value.format(c=f'substr({text}, {i + 1}, 1)')} * {w}" for i, w in enumerate(weights)
    ]
    return "(" + " + ".join(terms) + ")"


def _resident_id(first17: str) -> str:
    total = _weighted_sum(first17, _RESIDENT_WEIGHTS)
    return f"{first17} || substr('10X98765432', {total} % 11 + 1, 1)"


def _uscc(first17: str) -> str:
    value = "CASE WHEN {c} = 'X' THEN " + str(_USCC_CHARS.index("X")) + " ELSE {c}::int END"
    total = _weighted_sum(first17, _USCC_WEIGHTS, value)
    return f"{first17} || substr({lit(_USCC_CHARS)}, (31 - {total} % 31) % 31 + 1, 1)"


def _org_check(body: str) -> str:
    check = f"(11 - {_weighted_sum(body, _ORG_WEIGHTS)} % 11)"
    return f"CASE {check} WHEN 10 THEN 'X' WHEN 11 THEN '0' ELSE {check}::text END"


def _managers(d: Draws, managers: dict[str, tuple[int, ...]], featured: list[int]) -> str:
    arms = " ".join(
        f"WHEN {lit(branch)} THEN {d.one_of('g', 80, list(ids))}"
        for branch, ids in managers.items()
        if ids
    )
    choose = f"CASE branch {arms} END"
    if not featured:
        return choose
    return (
        f"CASE WHEN {d.u('g', 81)} < 0.5 AND branch = {lit(catalog.SHANGHAI)} "
        f"THEN {d.one_of('g', 82, featured)} ELSE {choose} END"
    )


def _labels(bd: str) -> str:
    risk = (
        "CASE WHEN f.customer_id IS NULL THEN NULL "
        "WHEN f.max_dpd > 90 OR s.score < 500 OR f.charged_off THEN 'VERY_HIGH' "
        "WHEN f.max_dpd > 30 OR f.worst_late > 60 OR s.score < 580 THEN 'HIGH' "
        "WHEN f.max_dpd > 0 OR f.worst_late > 5 OR s.score < 660 THEN 'MEDIUM' ELSE 'LOW' END"
    )
    stage = (
        "CASE WHEN f.customer_id IS NULL THEN 'NEW' WHEN f.charged_off THEN 'LOST' "
        "WHEN f.active > 0 THEN CASE WHEN f.max_dpd > 90 THEN 'CHURN_WARNING' "
        f"WHEN {bd} - f.first_drawn < 90 THEN 'NEW' "
        f"WHEN {bd} - f.first_drawn >= 730 OR f.loans >= 3 THEN 'STABLE' ELSE 'GROWTH' END "
        f"WHEN {bd} - f.last_closed <= 180 THEN 'CHURN_WARNING' ELSE 'LOST' END"
    )
    return f"{risk} AS risk_rating, {stage} AS lifecycle_stage"


def customers(
    d: Draws, *, business_date: date, keys: Keys, managers: dict[str, tuple[int, ...]],
    featured: list[int], zone: str,
) -> str:  # fmt: skip
    """INSERT the customers and their core-banking references."""
    bd = lit(business_date)
    surnames = catalog.SURNAMES
    sidx = d.pick("g", 70, [(i + 1, w) for i, (_, _, w) in enumerate(surnames)])
    male_n, female_n = len(catalog.MALE_GIVEN), len(catalog.FEMALE_GIVEN)
    given = [c for c, _ in catalog.MALE_GIVEN + catalog.FEMALE_GIVEN]
    given_py = [p for _, p in catalog.MALE_GIVEN + catalog.FEMALE_GIVEN]
    cities = {b: catalog.CITY_STREETS[b] for b in catalog.BRANCHES}
    far_place, far_streets = catalog.CITY_STREETS["Urumqi"]
    place = f"CASE WHEN far THEN {lit(far_place)} ELSE CASE branch " + " ".join(
        f"WHEN {lit(b)} THEN {lit(p)}" for b, (p, _) in cities.items()
    ) + " END END"  # fmt: skip
    street = f"CASE WHEN far THEN {d.one_of('g', 74, far_streets)} ELSE CASE branch " + " ".join(
        f"WHEN {lit(b)} THEN {d.one_of('g', 74, s)}" for b, (_, s) in cities.items()
    ) + " END END"  # fmt: skip
    home = f"{street} || {d.between('g', 75, 1, 1888)} || '号'"
    person_address = (
        f"{home} || {d.between('g', 76, 1, 30)} || '栋' || {d.between('g', 77, 1, 28)} || "
        f"lpad({d.between('g', 78, 1, 6)}::text, 2, '0') || '室'"
    )
    born = f"({lit(keys.first_birth)} + (idm / 1000 / {len(catalog.REGIONS)})::int)"
    first17 = f"(region || to_char({born}, 'YYYYMMDD') || lpad((idm % 1000)::text, 3, '0'))"
    body = f"lpad((((g - 1) * {keys.org_mult}::bigint + {keys.org_add}) % 100000000)::text, 8, '0')"
    biz_region = (
        f"CASE branch WHEN {lit(catalog.SHANGHAI)} THEN '310115' "
        f"WHEN {lit(catalog.BEIJING)} THEN '110105' ELSE '440305' END"
    )
    biz17 = (
        f"(CASE WHEN {d.u('g', 71)} < 0.2 THEN '92' ELSE '91' END || {biz_region} || {body} "
        f"|| {_org_check(body)})"
    )
    company = (
        f"{d.one_of('g', 72, catalog.COMPANY_CITIES)} || "
        f"{d.one_of('g', 73, catalog.COMPANY_BRANDS)}"
        f" || {d.one_of('g', 74, catalog.COMPANY_TRADES)} || "
        f"{d.pick('g', 79, catalog.COMPANY_FORMS)}"
    )
    phone = (
        f"{d.one_of('g', 83, catalog.PHONE_PREFIXES)} || lpad((((g - 1) * {keys.phone_mult}::bigint"
        f" + {keys.phone_add}) % 100000000)::text, 8, '0')"
    )
    channel = (
        f"CASE WHEN business THEN {d.pick('g', 84, BUSINESS_CHANNELS)} "
        f"ELSE {d.pick('g', 84, PERSON_CHANNELS)} END"
    )
    since = (
        f"coalesce(f.first_drawn - {d.between('c.g', 86, 12, 60)}, "
        f"{bd} - {d.between('c.g', 86, 5, 90)})"
    )
    male = "(idm % 1000 % 2 = 1)"
    g1, g2 = (
        f"CASE WHEN {male} THEN {d.between('g', n, 1, male_n)} "
        f"ELSE {male_n} + {d.between('g', n, 1, female_n)} END"
        for n in (87, 88)
    )
    return f"""
    INSERT INTO customer (id, kind, name, id_type, id_number, phone, email, birth_date, address,
      time_zone, monthly_income, branch, account_manager_id, preferred_channel, consent_sms,
      consent_app_push, consent_email, consent_phone, risk_rating, lifecycle_stage, rfm_recency,
      rfm_frequency, rfm_monetary, rfm_segment, created_at, updated_at)
    SELECT id, CASE WHEN business THEN 'BUSINESS' ELSE 'PERSON' END,
      CASE WHEN business THEN company ELSE {array([s for s, _, _ in surnames])}[si]
        || {array(given)}[g1] || CASE WHEN two THEN {array(given)}[g2] ELSE '' END END,
      CASE WHEN business THEN 'BUSINESS_LICENSE' ELSE 'RESIDENT_ID' END,
      CASE WHEN business THEN {_uscc(biz17)} ELSE {_resident_id(first17)} END,
      phone,
      CASE WHEN business THEN 'finance.' || id || '@example.net'
        ELSE {array([p for _, p, _ in surnames])}[si] || '.' || {array(given_py)}[g1]
          || CASE WHEN two THEN {array(given_py)}[g2] ELSE '' END || '.' || id
          || '@example.com' END,
      CASE WHEN business THEN NULL ELSE {born} END,
      CASE WHEN business THEN {place} || {home} || {d.between("g", 89, 1, 32)} || '楼'
        ELSE {place} || {person_address} END,
      CASE WHEN far THEN 'Asia/Urumqi' ELSE 'Asia/Shanghai' END, income, branch,
      {_managers(d, managers, featured)}, channel,
      channel = 'SMS' OR {d.u("g", 90)} < 0.7, channel = 'APP_PUSH' OR {d.u("g", 91)} < 0.55,
      channel = 'EMAIL' OR {d.u("g", 92)} < 0.35, channel = 'PHONE' OR {d.u("g", 93)} < 0.95,
      risk_rating, lifecycle_stage, rfm_r, rfm_f, rfm_m, rfm_segment,
      {local_time("since", f"9 * 3600 + floor({d.u('g', 94)} * 12 * 3600)", "time_zone_")},
      {local_time(bd, "6 * 3600", zone)}
    FROM (
      SELECT c.*, {_labels(bd)}, {since} AS since,
        CASE WHEN c.far THEN 'Asia/Urumqi' ELSE 'Asia/Shanghai' END AS time_zone_,
        {sidx} AS si, {d.u("c.g", 85)} < 0.6 AS two,
        {company} AS company, {phone} AS phone, {channel} AS channel,
        {g1} AS g1, {g2} AS g2, r.rfm_r, r.rfm_f, r.rfm_m, r.rfm_segment
      FROM cp c LEFT JOIN cl f ON f.customer_id = c.id
      LEFT JOIN (SELECT customer_id, max(score) FILTER (WHERE last) AS score FROM crs
                 GROUP BY customer_id) s ON s.customer_id = c.id
      LEFT JOIN rfm r ON r.customer_id = c.id
    ) c;
    INSERT INTO customer_external_ref (id, customer_id, source, external_id)
    SELECT id, id, 'core_banking', 'CB-' || {padded("id")} FROM cp
    """
