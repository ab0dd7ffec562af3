"""Bureau reports, RFM starting scores, contacts and custom fields of every customer."""

from __future__ import annotations

from datetime import date

from domain.seed import catalog
from domain.seed.activity import _COMPLAINTS, _INQUIRY_TEXTS, _ONLINE_TEXTS, _RATE_OBJECTION
from domain.seed.records import _START

from .sqltext import Draws, lit, local_time


def credit_reports(d: Draws, *, business_date: date, zone: str) -> str:
    """CREATE TEMP TABLE crs (scores on their days) and INSERT the 1-3 reports a customer has."""
    bd = lit(business_date)
    mean = (
        "CASE c.behaviour "
        + " ".join(f"WHEN {lit(k)} THEN {m}" for k, (m, _) in _START.items())
        + " END"
    )
    z0, z1 = d.z("c.g", 100), d.z("c.g", 101)
    start = f"CASE WHEN f.customer_id IS NULL THEN 620 + 80 * {z0} ELSE {mean} + 40 * {z0} END"
    end = (
        f"CASE WHEN f.customer_id IS NULL THEN start + 10 * {d.z('c.g', 101)} "
        "WHEN c.behaviour = 'DELINQUENT' THEN "
        f"start - 40 - least(f.max_dpd, 360) / 3.0 + 20 * {z1} "
        f"WHEN c.behaviour = 'CHARGED_OFF' THEN 450 + 40 * {d.z('c.g', 101)} "
        f"ELSE start + CASE c.behaviour WHEN 'ON_TIME' THEN 10 WHEN 'EARLY' THEN 15 ELSE -10 END "
        f"+ 15 * {d.z('c.g', 101)} END"
    )
    key = "(c.g * 4 + j)"
    first = f"greatest(coalesce(f.first_drawn - 10, {bd} - 60), {bd} - 1000)"
    return f"""
    CREATE TEMP TABLE crs AS
    SELECT c.id AS customer_id, c.g, j, j = n AS last, c.behaviour, c.income,
      coalesce(f.owed, 0) AS owed, coalesce(f.active, 0) AS active, f.stop_from,
      CASE WHEN j = 1 THEN first ELSE first + floor(({bd} - 1 - first)
           * (j - 1 + 0.9 * {d.u(key, 102)}) / n)::int END AS day,
      least(greatest(round(start + (fin - start) * CASE WHEN n > 1 THEN (j - 1)::float8 / (n - 1)
            ELSE 1 END + 8 * {d.z(key, 103)}), 350), 850)::int AS score
    FROM cp c LEFT JOIN cl f ON f.customer_id = c.id
    CROSS JOIN LATERAL (SELECT {first} AS first,
      {d.pick("c.g", 104, ((1, 0.4), (2, 0.35), (3, 0.25)))} AS n) w
    CROSS JOIN LATERAL (SELECT {start} AS start) s0
    CROSS JOIN LATERAL (SELECT {end} AS fin) s1
    CROSS JOIN LATERAL generate_series(1, w.n) j;
    INSERT INTO credit_report (id, customer_id, bureau, score, pulled_at, total_debt,
      open_accounts, delinquencies, inquiries, details)
    SELECT (g - 1) * 3 + j, customer_id, bureau, score,
      {local_time("day", f"8 * 3600 + floor({d.u('(g * 4 + j)', 105)} * 10 * 3600)", zone)},
      floor((owed * (0.9 + 0.4 * {d.u("(g * 4 + j)", 106)})
             + income * 8 * {d.u("(g * 4 + j)", 107)})
            / 100) * 100,
      active + {d.between("(g * 4 + j)", 108, 0, 3)},
      CASE WHEN behaviour IN ('DELINQUENT', 'CHARGED_OFF') AND day > stop_from
           THEN {d.between("(g * 4 + j)", 109, 1, 3)} ELSE 0 END,
      {d.between("(g * 4 + j)", 110, 0, 3)}
        + CASE WHEN behaviour IN ('DELINQUENT', 'CHARGED_OFF') THEN 3 ELSE 0 END,
      jsonb_build_object('report_no', upper(bureau) || '-' || to_char(day, 'YYYYMMDD') || '-'
          || lpad(((g - 1) * 3 + j)::text, 8, '0'),
        'model', CASE WHEN bureau = 'PBOC' THEN 'PBOC-CR-2.0' ELSE 'BH-SCORE-3' END,
        'grade', substr('ABCDE', least(greatest((800 - score) / 70, 0), 4) + 1, 1))
    FROM (SELECT crs.*, CASE WHEN {d.u("(g * 4 + j)", 111)} < 0.7 THEN 'PBOC' ELSE 'Baihang' END
          AS bureau FROM crs) r
    """


def rfm(business_date: date) -> str:
    """CREATE TEMP TABLE rfm: 1-5 scores by quintile over the active, as `domain.profile.rfm`."""
    bd = lit(business_date)
    return f"""
    CREATE TEMP TABLE rfm AS
    SELECT customer_id, r AS rfm_r, f AS rfm_f, m AS rfm_m,
      CASE WHEN r >= 4 AND f >= 4 AND m >= 4 THEN 'CHAMPIONS' WHEN r >= 3 AND f >= 4 THEN 'LOYAL'
        WHEN r >= 4 AND f BETWEEN 2 AND 3 THEN 'POTENTIAL_LOYALIST'
        WHEN r = 5 AND f = 1 THEN 'NEW' WHEN r = 4 AND f = 1 THEN 'PROMISING'
        WHEN r = 3 AND f BETWEEN 2 AND 3 THEN 'NEED_ATTENTION'
        WHEN r = 3 AND f = 1 THEN 'ABOUT_TO_SLEEP'
        WHEN r <= 2 AND f >= 4 AND m >= 4 THEN 'CANT_LOSE_THEM'
        WHEN r <= 2 AND f >= 3 THEN 'AT_RISK' WHEN r = 2 AND f <= 2 THEN 'HIBERNATING'
        ELSE 'LOST' END AS rfm_segment
    FROM (
      SELECT customer_id,
        1 + 5 * (rank() OVER (ORDER BY {bd} - last_event DESC) - 1) / count(*) OVER () AS r,
        1 + 5 * (rank() OVER (ORDER BY frequency) - 1) / count(*) OVER () AS f,
        1 + 5 * (rank() OVER (ORDER BY margin) - 1) / count(*) OVER () AS m
      FROM cl WHERE last_event IS NOT NULL
    ) q
    """


def interactions(
    d: Draws, *, business_date: date, customers: int, cs_agent: int, collectors_: tuple[int, int]
) -> str:
    """INSERT service contacts of every customer and the collections contacts of late loans."""
    bd = lit(business_date)
    key = "(c.g * 8 + j)"
    online = (
        f"{d.u(key, 121)} < CASE WHEN c.channel IN ('APP_PUSH', 'EMAIL') THEN 0.8 ELSE 0.25 END"
    )
    kind = d.u(key, 122)
    day = f"(c.first + floor(({bd} - 1 - c.first) * {d.u(key, 123)})::int)"
    at = local_time("day", f"7 * 3600 + floor({d.u(key, 124)} * 13 * 3600)", "c.time_zone")
    rate = f"{d.u('c.g', 127)} < 0.35"
    service = f"""
    SELECT c.id AS customer_id, c.g, j, c.last_loan, c.account_manager_id, {day} AS day,
      c.time_zone,
      CASE WHEN j = 5 THEN 'COMPLAINT' WHEN j = 6 THEN 'COURTESY' WHEN {online} THEN
        CASE WHEN {kind} < 0.7 THEN 'SELF_SERVICE' ELSE 'ONLINE_INQUIRY' END
      ELSE CASE WHEN {kind} < 0.6 THEN 'PHONE_INQUIRY' ELSE 'VISIT' END END AS what,
      {d.u(key, 125)} AS pick, {d.u(key, 126)} < 0.7 AS app
    FROM (SELECT c.*, f.last_loan, x.account_manager_id, x.time_zone,
            greatest(x.created_at::date, {bd} - 365) AS first,
            {d.pick("c.g", 120, ((0, 0.15), (1, 0.25), (2, 0.25), (3, 0.2), (4, 0.15)))} AS n,
            {d.u("c.g", 128)} < 0.05 AS complains, {d.u("c.g", 129)} < 0.2 AS called,
            x.preferred_channel AS channel
          FROM cp c JOIN customer x ON x.id = c.id LEFT JOIN cl f ON f.customer_id = c.id) c
    CROSS JOIN LATERAL generate_series(1, 6) j
    WHERE (j <= c.n OR (j = 5 AND c.complains) OR (j = 6 AND c.called)) AND c.first < {bd}
    """

    def texts(options: tuple[str, ...]) -> str:
        return (
            f"(ARRAY[{', '.join(lit(t) for t in options)}])[1 + floor(pick * {len(options)})::int]"
        )

    collector = d.one_of("l.r", 131, list(collectors_))
    end = f"least({bd}, coalesce(n.closed_on, {bd}))"
    call_day = f"1 + floor(({end} - 1 - t.oldest_unpaid) * {d.u('l.r * 8 + j', 133)})::int"
    contacted = local_time(
        f"t.oldest_unpaid + CASE j WHEN 1 THEN 1 WHEN 2 THEN 60 ELSE {call_day} END",
        f"9 * 3600 + floor({d.u('l.r * 8 + j', 134)} * 10 * 3600)",
        "x.time_zone",
    )
    return f"""
    INSERT INTO interaction (id, customer_id, loan_id, agent_id, channel, direction, type, text,
                             outcome, occurred_at)
    SELECT (g - 1) * 6 + j, customer_id, CASE WHEN what = 'COURTESY' THEN NULL ELSE last_loan END,
      CASE what WHEN 'SELF_SERVICE' THEN NULL WHEN 'VISIT' THEN account_manager_id
        WHEN 'COURTESY' THEN account_manager_id ELSE {cs_agent} END,
      CASE what WHEN 'SELF_SERVICE' THEN CASE WHEN app THEN 'APP' ELSE 'WEB' END
        WHEN 'ONLINE_INQUIRY' THEN CASE WHEN app THEN 'APP' ELSE 'WEB' END
        WHEN 'VISIT' THEN 'BRANCH' WHEN 'COMPLAINT' THEN CASE WHEN app THEN 'PHONE' ELSE 'EMAIL' END
        ELSE 'PHONE' END,
      CASE WHEN what = 'COURTESY' THEN 'OUTBOUND' ELSE 'INBOUND' END,
      CASE what WHEN 'SELF_SERVICE' THEN 'SELF_SERVICE' WHEN 'VISIT' THEN 'VISIT'
        WHEN 'COMPLAINT' THEN 'COMPLAINT' WHEN 'COURTESY' THEN 'CALL' ELSE 'INQUIRY' END,
      CASE what WHEN 'SELF_SERVICE' THEN {texts(_ONLINE_TEXTS)}
        WHEN 'COMPLAINT' THEN {texts(_COMPLAINTS)}
        WHEN 'COURTESY' THEN CASE WHEN {rate} THEN {lit(_RATE_OBJECTION)}
                              ELSE 'Courtesy call about current offers' END
        WHEN 'VISIT' THEN 'At the branch: ' || lower(left({texts(_INQUIRY_TEXTS)}, 1))
                          || substr({texts(_INQUIRY_TEXTS)}, 2)
        ELSE {texts(_INQUIRY_TEXTS)} END,
      CASE what WHEN 'SELF_SERVICE' THEN 'RESOLVED' WHEN 'VISIT' THEN 'RESOLVED'
        WHEN 'COMPLAINT' THEN CASE WHEN pick < 0.7 THEN 'RESOLVED' ELSE 'CALLBACK_REQUESTED' END
        WHEN 'COURTESY' THEN CASE WHEN {rate} THEN 'OFFER_DECLINED_RATE'
                              ELSE 'INFORMATION_GIVEN' END
        ELSE 'INFORMATION_GIVEN' END,
      {at}
    FROM ({service}) c;
    INSERT INTO interaction (id, customer_id, loan_id, agent_id, channel, direction, type, text,
                             outcome, occurred_at)
    SELECT {customers} * 6 + (l.r - 1) * 5 + j, l.customer_id, l.id,
      CASE WHEN j >= 3 THEN coalesce(n.collector_id, {collector}) END,
      CASE j WHEN 1 THEN 'SMS' WHEN 2 THEN 'EMAIL' ELSE 'PHONE' END, 'OUTBOUND',
      CASE WHEN j <= 2 THEN 'MESSAGE' ELSE 'CALL' END,
      CASE j WHEN 1 THEN 'Overdue notice: the installment due on ' || t.oldest_unpaid
                         || ' is unpaid'
        WHEN 2 THEN 'Formal notice of overdue payment and its consequences'
        ELSE CASE WHEN {d.u("l.r * 8 + j", 132)} < 0.7 THEN 'No answer'
                  ELSE 'Asked to be called back later' END END,
      CASE WHEN j <= 2 THEN NULL WHEN {d.u("l.r * 8 + j", 132)} < 0.7 THEN 'NO_ANSWER'
           ELSE 'CALLBACK_REQUESTED' END,
      {contacted}
    FROM lp2 l JOIN la t ON t.loan_id = l.id JOIN loan n ON n.id = l.id
    JOIN customer x ON x.id = l.customer_id
    CROSS JOIN LATERAL generate_series(1, 5) j
    WHERE t.oldest_unpaid IS NOT NULL AND n.status <> 'CLOSED'
      AND (j = 1 OR (j = 2 AND {bd} - t.oldest_unpaid > 61)
           OR (j >= 3 AND (n.collector_id IS NOT NULL OR n.status = 'CHARGED_OFF')))
    """


def custom_values(d: Draws, *, fields: dict[str, int]) -> str:
    """INSERT occupation and WeChat ID for many people, employee count for most businesses."""
    wechat = "'wxid_' || substr(md5(g::text || 'wx'), 1, 10)"
    occupation = d.one_of("g", 140, catalog.OCCUPATIONS)
    return f"""
    INSERT INTO custom_field_value (id, customer_id, field_id, value_text, value_number)
    SELECT (g - 1) * 3 + 1, id, {fields["occupation"]}, {occupation}, NULL::numeric
    FROM cp WHERE NOT business AND {d.u("g", 141)} < 0.7
    UNION ALL
    SELECT (g - 1) * 3 + 2, id, {fields["wechat_id"]}, {wechat}, NULL
    FROM cp WHERE NOT business AND {d.u("g", 142)} < 0.4
    UNION ALL
    SELECT (g - 1) * 3 + 3, id, {fields["employee_count"]}, n::text, n
    FROM (SELECT g, id, {d.between("g", 143, 3, 300)} AS n FROM cp
          WHERE business AND {d.u("g", 144)} < 0.8) b
    """
