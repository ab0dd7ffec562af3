"""Who the customers are and what they borrow: the plan tables `cp` and `lp`, set-based.

`cp` holds one row per customer (kind, branch, income, how they repay, how many loans, the
DPD a delinquent one is aimed at); `lp` one row per loan (product, amount, rate, term,
disbursement, the date from which a delinquent customer stopped paying, and the schedule's
level payment). The shares follow `domain.seed.plans`; terms lean shorter than the Python
seed's so that the portfolio has about 12 installments a loan, as issue 14 sizes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from domain.seed import catalog
from domain.seed.people import Keys
from domain.seed.plans import BEHAVIOUR_WEIGHTS, BEHAVIOURS, CHARGE_OFF_DPD

from .sqltext import Draws, array, lit

LOAN_COUNTS = ((0, 0.08), (1, 0.70), (2, 0.17), (3, 0.04), (4, 0.01))  # 1.2 loans a customer
TERMS: dict[str, tuple[tuple[int, float], ...]] = {
    "CONSUMER": ((6, 0.4), (12, 0.45), (18, 0.08), (24, 0.05), (36, 0.02)),
    "SME": ((12, 0.55), (24, 0.3), (36, 0.12), (48, 0.02), (60, 0.01)),
    "AUTO": ((12, 0.4), (24, 0.4), (36, 0.15), (48, 0.04), (60, 0.01)),
    "CREDIT_LINE_MICRO": ((3, 0.3), (6, 0.35), (9, 0.15), (12, 0.2)),
}
PERSON_PRODUCTS = (("CONSUMER", 0.7), ("AUTO", 0.15), ("CREDIT_LINE_MICRO", 0.15))
RISKINESS = {"ON_TIME": 0.2, "EARLY": 0.1, "LATE": 0.5, "DELINQUENT": 0.8, "CHARGED_OFF": 0.9}
TARGET_WEIGHTS = (0.28, 0.16, 0.12, 0.1, 0.09, 0.08, 0.17)
OLDEST_DAYS = 1095


def _region_branch(region: str) -> str:
    return f"CASE left({region}, 2) " + " ".join(
        f"WHEN {lit(prefix)} THEN {lit(branch)}" for prefix, branch in catalog.REGION_BRANCH.items()
    ) + " END"  # fmt: skip


def customers(
    d: Draws, *, count: int, first_id: int, keys: Keys, targets: Sequence[tuple[int, int]]
) -> str:
    """CREATE TEMP TABLE cp: one planned customer per index 1..count."""
    regions = [code for code, _ in catalog.REGIONS]
    branch = d.pick("g", 5, list(zip(catalog.BRANCHES, catalog.BRANCH_WEIGHTS, strict=True)))
    behaviours = list(zip([b.value for b in BEHAVIOURS], BEHAVIOUR_WEIGHTS, strict=True))
    weights = TARGET_WEIGHTS if len(targets) == len(TARGET_WEIGHTS) else (1.0,) * len(targets)
    aim = d.pick("g", 8, list(zip(range(1, len(targets) + 1), weights, strict=True)))
    lows, highs = array([t[0] for t in targets]), array([t[1] for t in targets])
    return f"""
    CREATE TEMP TABLE cp AS
    SELECT *, sum(n_loans) OVER (ORDER BY g) - n_loans AS r0
    FROM (
      SELECT b.*,
        CASE WHEN behaviour IN ('ON_TIME', 'LATE') THEN drawn ELSE greatest(drawn, 1) END
          AS n_loans,
        CASE behaviour
          WHEN 'DELINQUENT'
          THEN {lows}[aim] + floor({d.u("g", 9)} * ({highs}[aim] - {lows}[aim] + 1))::int
          WHEN 'CHARGED_OFF' THEN {d.between("g", 9, CHARGE_OFF_DPD + 40, 900)}
        END AS dpd_target,
        CASE WHEN business THEN
          least(greatest(floor(exp(ln(250000) + 0.5 * {d.z("g", 10)}) / 100) * 100, 30000), 5000000)
        ELSE least(greatest(floor(exp(ln(CASE WHEN branch IN ({lit(catalog.SHANGHAI)},
            {lit(catalog.BEIJING)}) THEN 11000 ELSE 9500 END) + 0.5 * {d.z("g", 10)}) / 100)
            * 100, 3000), 150000)
        END::numeric(16, 2) AS income
      FROM (
        SELECT a.*,
          CASE WHEN business THEN {branch}
               WHEN {_region_branch("region")} IS NOT NULL AND {d.u("g", 6)} < 0.85
               THEN {_region_branch("region")} ELSE {branch} END AS branch,
          NOT business AND region = {lit(catalog.URUMQI_REGION)} AND {d.u("g", 7)} < 0.6 AS far
        FROM (
          SELECT g, {first_id} + g AS id, {d.u("g", 1)} < 0.10 AS business,
            {d.pick("g", 2, behaviours)} AS behaviour,
            {d.pick("g", 3, LOAN_COUNTS)} AS drawn, {aim} AS aim,
            ((g - 1) * {keys.id_mult}::bigint + {keys.id_add}) % {keys.id_space} AS idm,
            {array(regions)}[1 + (((g - 1) * {keys.id_mult}::bigint + {keys.id_add})
              % {keys.id_space} / 1000 % {len(regions)})::int] AS region
          FROM generate_series(1, {count}) g
        ) a
      ) b
    ) c;
    ALTER TABLE cp ADD PRIMARY KEY (g);
    """


def _terms_case(column: str, key: str, d: Draws, n: int) -> str:
    arms = " ".join(
        f"WHEN {lit(code)} THEN {d.pick(key, n, choices, 100)}" for code, choices in TERMS.items()
    )
    return f"CASE {column} {arms} END"


def _amount(d: Draws) -> str:
    def money(value: str, step: int) -> str:
        return f"greatest(floor(({value}) / {step}), 1) * {step}"

    u1, u2 = d.u("r", 23), d.u("r", 24)
    arms = {
        "CONSUMER": money(f"income * (1 + 9 * {u1})", 1000),
        "AUTO": money(f"50000 + 100000 * {u1} + income * (2 + 10 * {u2})", 1000),
        "SME": money(f"income * (0.5 + 2.5 * {u1})", 10000),
        "CREDIT_LINE_MICRO": money(f"2000 + 48000 * {u1}", 500),
    }
    cases = " ".join(f"WHEN {lit(code)} THEN {expr}" for code, expr in arms.items())
    return f"CASE product {cases} END"


def loans(d: Draws, *, first_id: int, business_date: date, product_ids: dict[str, int]) -> str:
    """CREATE TEMP TABLE lp: every planned loan, delinquent customers' anchored on their DPD."""
    bd = lit(business_date)
    specs = {p.code: p for p in catalog.PRODUCTS}

    def per_product(attribute: str) -> str:
        arms = " ".join(
            f"WHEN {lit(code)} THEN {lit(getattr(spec, attribute))}" for code, spec in specs.items()
        )
        return f"CASE product {arms} END"

    riskiness = "CASE behaviour " + " ".join(
        f"WHEN {lit(k)} THEN {v}" for k, v in RISKINESS.items()
    ) + " END"  # fmt: skip
    person_product = d.pick("cp.r0 + k", 21, PERSON_PRODUCTS)
    product_id = "CASE product " + " ".join(
        f"WHEN {lit(code)} THEN {pid}" for code, pid in product_ids.items()
    ) + " END"  # fmt: skip
    oldest = f"({bd} - {OLDEST_DAYS})"
    latest = f"CASE WHEN k = 1 AND behaviour = 'EARLY' THEN {bd} - 240 ELSE {bd} - 30 END"
    spread = f"least({d.u('r', 25)} * 0.6 + {riskiness} * 0.4, 1)"
    max_terms = "CASE product " + " ".join(
        f"WHEN {lit(code)} THEN {max(t for t, _ in choices)}" for code, choices in TERMS.items()
    ) + " END"  # fmt: skip
    term_arrays = "CASE product " + " ".join(
        f"WHEN {lit(c)} THEN {array([t for t, _ in ch])}" for c, ch in TERMS.items()
    ) + " END"  # fmt: skip
    spread_back = f"power({d.u('lp.r', 27)}, 1.6)"
    return f"""
    CREATE TEMP TABLE lp AS
    SELECT x.*, {product_id} AS product_id,
      CASE WHEN product IN ('CONSUMER', 'AUTO') THEN 'EQUAL_INSTALLMENT'
           ELSE 'EQUAL_PRINCIPAL' END AS method,
      least(greatest({_amount(d)}, {per_product("min_amount")}),
            {per_product("max_amount")})::numeric(16, 2) AS principal,
      round({per_product("min_rate")} + ({per_product("max_rate")} - {per_product("min_rate")})
            * floor({spread} * 10000)::numeric / 10000, 4)::numeric(8, 6) AS annual_rate,
      {_terms_case("product", "r", d, 26)} AS term,
      ({latest} - floor(({latest} - {oldest}) * power({d.u("r", 27)}, 1.6))::int) AS disbursed,
      NULL::date AS stop_from, {max_terms} AS max_term
    FROM (
      SELECT cp.r0 + k AS r, {first_id} + cp.r0 + k AS id, cp.id AS customer_id, cp.g, k,
        cp.behaviour, cp.dpd_target, cp.income,
        CASE WHEN cp.business THEN CASE WHEN {d.u("cp.r0 + k", 22)} < 0.8 THEN 'SME'
             ELSE 'CREDIT_LINE_MICRO' END
             ELSE {person_product} END AS product
      FROM cp CROSS JOIN LATERAL generate_series(1, cp.n_loans) k
    ) x;
    -- a delinquent customer's first loan fell due, unpaid, dpd_target days ago (the anchor)
    UPDATE lp SET term = t.term, disbursed = t.disbursed,
                  stop_from = (t.disbursed + make_interval(months => t.months))::date
    FROM (
      SELECT a.r, a.disbursed0 AS disbursed, a.months,
        (SELECT s FROM unnest(terms) s WHERE s >= a.months ORDER BY s
         OFFSET floor({d.u("a.r", 28)} * (SELECT count(*) FROM unnest(terms) s
                                          WHERE s >= a.months)) LIMIT 1) AS term
      FROM (
        SELECT r, product, m AS months,
          (({bd} - dpd_target) - make_interval(months => m))::date AS disbursed0,
          {term_arrays} AS terms
        FROM (
          SELECT r, product, dpd_target, 1 + floor({d.u("r", 29)} * least(greatest(
            (({bd} - dpd_target) - {oldest}) / 31, 1), max_term))::int AS m
          FROM lp WHERE k = 1 AND behaviour IN ('DELINQUENT', 'CHARGED_OFF')
        ) q
      ) a
    ) t WHERE lp.r = t.r;
    -- their other loans were drawn at least a month before and stopped being paid with it
    UPDATE lp SET stop_from = a.stop_from,
      disbursed = least({bd} - 30, a.stop_from - 31)
        - floor((least({bd} - 30, a.stop_from - 31) - {oldest}) * {spread_back})::int
    FROM lp a WHERE a.customer_id = lp.customer_id AND a.k = 1 AND lp.k > 1
      AND a.stop_from IS NOT NULL;
    CREATE TEMP TABLE lp2 AS
    SELECT lp.*, sum(term) OVER (ORDER BY r) - term AS ik0,
      (disbursed + interval '1 month')::date AS first_due,
      method = 'EQUAL_INSTALLMENT' AS ei,
      -- r/12 to 40 significant digits, as domain.loan.schedule.monthly_rate computes it
      round(annual_rate::numeric(60, 50) / 12,
            39 - floor(log(greatest(annual_rate, 0.000001)::float8 / 12))::int) AS i40,
      round(principal / term, 2) AS lvl,
      CASE WHEN annual_rate = 0 THEN round(principal / term, 2)
           ELSE round(principal * (annual_rate / 12) / (1 - power(
             (1 + annual_rate / 12)::numeric(60, 40), -term)), 2) END AS a
    FROM lp;
    ALTER TABLE lp2 ADD PRIMARY KEY (r);
    ANALYZE cp; ANALYZE lp2;
    """
