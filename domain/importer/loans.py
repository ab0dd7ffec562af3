"""Importing loans with their schedules; terms of a loan with payments cannot change."""

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from domain.importer import refs, schedules, values
from domain.importer.rows import Env, Key, Row, Tally, by_key, key_filter
from domain.importer.store import UPDATE_BATCH, allocate_ids, insert, unsaved
from domain.loan.delinquency import bucket_for, days_past_due
from domain.loan.models import Installment, Loan, LoanStatus, Payment
from domain.loan.schedule import PlannedInstallment
from domain.settings import settings

COLUMNS = frozenset(
    {"source", "external_id", "customer_external_id", "customer_source", "product_code",
     "principal", "annual_rate", "term_months", "disbursed_on", "status", "collector",
     schedules.SCHEDULE}
)  # fmt: skip
TERMS = ("principal", "annual_rate", "term_months", "disbursed_on", "method")
_OTHER = ("customer_id", "product_id", "status", "collector_id")
_TERM_COLUMN = {"method": "product_code"}
_STORED = ("id", "source", "external_id", *TERMS, *_OTHER)


def _parse(row: Row, env: Env) -> None:
    out = row.values
    out["principal"] = principal = values.money(row, "principal", required=True, positive=True)
    out["annual_rate"] = values.rate(row, "annual_rate", required=True)
    out["term_months"] = term = values.integer(row, "term_months", low=1, high=600, required=True)
    out["disbursed_on"] = disbursed = values.day(row, "disbursed_on", required=True)
    if disbursed is not None and disbursed > env.today:
        row.add("disbursed_on", f"must not be after the business date {env.today}")
    status = values.choice(row, "status", LoanStatus)
    if status is not None:
        out["status"] = status
    plan = schedules.explicit(row, principal, term, disbursed)
    if plan is not None:
        out["plan"] = plan


async def _resolve_products(rows: Sequence[Row]) -> None:
    codes = {row.line: values.text(row, "product_code", max_len=32, required=True) for row in rows}
    products = await refs.products_by_code({code for code in codes.values() if code})
    for row in rows:
        code = codes[row.line]
        if code is None:
            continue
        product = products.get(code)
        if product is None:
            row.add("product_code", f"no product '{code}'")
        else:
            row.values["product_id"], row.values["method"] = product.id, product.method


def _plan(values_: dict[str, Any]) -> list[PlannedInstallment]:
    plan: list[PlannedInstallment] | None = values_.get("plan")
    if plan is not None:
        return plan
    return schedules.generated(*(values_[name] for name in TERMS))


def _installments(loan_id: int, plan: list[PlannedInstallment]) -> list[Installment]:
    """Unsaved installment rows, for bulk_create."""
    return [
        unsaved(
            Installment,
            loan_id=loan_id,
            seq=p.seq,
            due_date=p.due_date,
            principal_due=p.principal_due,
            interest_due=p.interest_due,
        )
        for p in plan
    ]


def _delinquency(loan: Loan, plan: list[PlannedInstallment], today: date) -> None:
    dpd = 0
    if loan.status == LoanStatus.ACTIVE:
        dpd = days_past_due(((p.due_date, False) for p in plan), today)
    loan.days_past_due, loan.bucket, loan.dpd_as_of = (
        dpd,
        bucket_for(dpd, settings().buckets),
        today,
    )


async def _stored_state(
    rows: Sequence[Row],
) -> tuple[dict[Key, dict[str, Any]], set[int], dict[int, list[dict[str, Any]]]]:
    """Existing loans of the rows, which of them have payments, and their installments."""
    if not rows:
        return {}, set(), {}
    query = Loan.filter(**key_filter(row.key for row in rows)).values(*_STORED)
    existing = by_key(await query)
    ids = sorted(int(stored["id"]) for stored in existing.values())
    paid: set[int] = set()
    installments: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if ids:
        paid_query = Payment.filter(loan_id__in=ids).distinct().values_list("loan_id", flat=True)
        paid = {int(loan_id) for loan_id in await paid_query}  # type: ignore[call-overload]
        wanted = [
            int(existing[row.key]["id"])
            for row in rows
            if row.key in existing and "plan" in row.values
        ]
        if wanted:
            plans = Installment.filter(loan_id__in=wanted).order_by("loan_id", "seq")
            for inst in await plans.values(
                "loan_id", "seq", "due_date", "principal_due", "interest_due"
            ):
                installments[int(inst["loan_id"])].append(inst)
    return existing, paid, installments


def _decide(
    row: Row, stored: dict[str, Any], has_payments: bool, installments: list[dict[str, Any]]
) -> tuple[dict[str, Any], bool]:
    """Changed attributes of an existing loan, and whether its schedule is rebuilt."""
    new = row.values
    changed = {
        name: new[name] for name in (*TERMS, *_OTHER) if name in new and stored[name] != new[name]
    }
    terms = [name for name in TERMS if name in changed]
    if has_payments:
        for name in terms:
            column = _TERM_COLUMN.get(name, name)
            row.add(column, f"cannot change {name} of a loan that already has payments")
        return changed, False
    rebuild = bool(terms)
    if "plan" in new and not schedules.same(new["plan"], installments):
        rebuild = True
    return changed, rebuild


async def run(rows: Sequence[Row], env: Env, tally: Tally) -> None:
    """Upsert one batch of loan rows and their schedules."""
    for row in rows:
        _parse(row, env)
    await refs.resolve_customers(rows)
    await _resolve_products(rows)
    await refs.resolve_users(rows, "collector", "collector_id")
    existing, paid, installments = await _stored_state([row for row in rows if row.ok])
    new_rows: list[Row] = []
    changes: dict[int, tuple[Row, dict[str, Any], bool]] = {}
    for row in rows:
        if not row.ok:
            continue
        stored = existing.get(row.key)
        if stored is None:
            new_rows.append(row)
            continue
        loan_id = int(stored["id"])
        changed, rebuild = _decide(row, stored, loan_id in paid, installments.get(loan_id, []))
        if not row.ok:
            continue
        if changed or rebuild:
            changes[loan_id] = (row, changed, rebuild)
        else:
            tally.unchanged += 1
    await _create(new_rows, env)
    tally.created += len(new_rows)
    await _update(changes, env)
    tally.updated += len(changes)
    tally.settle(rows)


async def _create(rows: list[Row], env: Env) -> None:
    ids = await allocate_ids(Loan, len(rows))
    loans: list[Loan] = []
    plans: list[Installment] = []
    for loan_id, row in zip(ids, rows, strict=True):
        attributes = {k: v for k, v in row.values.items() if k != "plan"}
        loan = unsaved(
            Loan,
            id=loan_id, source=row.source, external_id=row.external_id,
            outstanding_principal=row.values["principal"], **attributes,
        )  # fmt: skip
        plan = _plan(row.values)
        _delinquency(loan, plan, env.today)
        loans.append(loan)
        plans.extend(_installments(loan_id, plan))
    if loans:
        await insert(Loan, loans)
        await insert(Installment, plans)


async def _update(changes: dict[int, tuple[Row, dict[str, Any], bool]], env: Env) -> None:
    if not changes:
        return
    objects = await Loan.filter(id__in=sorted(changes))
    touched: set[str] = set()
    rebuilt: list[int] = []
    plans: list[Installment] = []
    for loan in objects:
        row, changed, rebuild = changes[loan.id]
        loan.update_from_dict(changed)
        touched.update(changed)
        if rebuild:
            plan = _plan(row.values)
            loan.outstanding_principal = loan.principal
            _delinquency(loan, plan, env.today)
            touched.update({"outstanding_principal", "days_past_due", "bucket", "dpd_as_of"})
            rebuilt.append(loan.id)
            plans.extend(_installments(loan.id, plan))
    if touched:
        await Loan.bulk_update(objects, fields=sorted(touched), batch_size=UPDATE_BATCH)
    if rebuilt:
        await Installment.filter(loan_id__in=rebuilt).delete()
        await insert(Installment, plans)
