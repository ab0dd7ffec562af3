"""The customer graph compiled to SQL: customers, their loans with schedules and payments, and
their interactions, each object a JSON text built inside the one statement.

Each GraphQL field that has a compiled form is a function of the selection and the table alias
it reads; a field without one raises `NotCompiled`. Row scopes are the loaders' own filters,
placed as `id IN (…)` subqueries of the same SQL Tortoise would send, so a row the loader
path would not load is not in the JSON either.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from tortoise.expressions import Q, RawSQL
from tortoise.models import Model

from api.compiled.dialect import Dialect
from api.compiled.plan import NotCompiled, Selected
from api.relay import cursor_numbers
from authz import scoping
from authz.actions import Scope
from domain.clock import service as clock
from domain.customer.models import Customer
from domain.errors import DomainError
from domain.interaction.models import Interaction
from domain.loan.models import Installment, Loan, Payment
from domain.pagination import check_first


@dataclass
class Reading:
    """One compiled statement under way: its dialect, the caller's filters, what it audits."""

    d: Dialect
    scopes: dict[str, Q]
    granted: dict[str, frozenset[Scope]]  # the caller's read scopes of each object
    sensitive: bool  # the caller sees ID numbers and phones unmasked (and is audited)
    audited: set[str]  # sensitive customer fields shown unmasked
    nested: int = 0  # how deep under another object the customer being compiled is
    _today: str | None = None

    def today_sql(self) -> str:
        """The business date, read inside the statement (as `clock.get` reads it: the stored
        business date, else the institution's calendar date), not by a statement of its own."""
        if self._today is None:
            calendar = clock.calendar_date()
            fallback = self.d.param(calendar if self.d.postgres else calendar.isoformat())
            stored = "(SELECT b.current FROM business_day b WHERE b.id = 1)"  # clock's one row
            self._today = f"coalesce({stored}, {fallback})"
        return self._today

    def scoped(self, model: type[Model], obj: str, column: str, parent: str | None = None) -> str:
        """` AND` the row at `column` is one the caller may read, or nothing for every row.

        A probe of the one row by its key (`EXISTS`), not a list of every row in scope: a
        page reaches a few hundred rows, a scope can hold millions. Nothing either when the
        row is reached through a `parent` row in scope whose scope implies its own.
        """
        if parent is not None and scoping.implied(
            obj, parent, self.granted[obj], self.granted[parent]
        ):
            return ""
        scope = self.scopes.get(obj)
        if scope is None or (not scope.children and not scope.filters):
            return ""
        probe = model.filter(scope).filter(id=RawSQL(column)).values_list("id", flat=True)
        return f" AND EXISTS ({self.d.subquery(probe)})"


Field = Callable[[Reading, Selected, str], str]


def _places(model: type[Model], name: str) -> int:
    return int(model._meta.fields_map[name].decimal_places)  # type: ignore[attr-defined]


def column(kind: str, name: str, model: type[Model] | None = None) -> Field:
    """A field read from one column of the row (`model` names the decimal column's scale)."""

    def sql(r: Reading, _: Selected, a: str) -> str:
        ref = f'{a}."{name}"'
        if kind == "decimal":
            assert model is not None
            field = model._meta.fields_map[name]
            return r.d.decimal(ref, _places(model, name), null=field.null)
        return getattr(r.d, kind)(ref)  # type: ignore[no-any-return]

    return sql


def global_id(type_name: str, name: str = "id") -> Field:
    """The row's global id (null when the key column is)."""
    return lambda r, _, a: r.d.b64(f"'{type_name}:' || {a}.\"{name}\"")


_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")  # a GraphQL name: nothing to escape in SQL


def obj(r: Reading, sel: Selected, fields: dict[str, Field], alias: str) -> str:
    """The JSON object of a selection over a row (`__typename` included)."""
    pairs = []
    for f in sel.fields:
        if not _NAME.fullmatch(f.key):  # the parser allows no other: never written into SQL
            raise NotCompiled(f"response name {f.key!r}")
        if f.name == "__typename":
            pairs.append((f.key, r.d.literal(sel.type_name)))
            continue
        make = fields.get(f.name)
        if make is None:
            raise NotCompiled(f"{sel.type_name}.{f.name}")
        pairs.append((f.key, make(r, f, alias)))
    return r.d.obj(pairs)


def _sum(a: str, *names: str) -> str:
    return " + ".join(f'{a}."{n}"' for n in names)


def _installment_status(r: Reading, _: Selected, a: str) -> str:
    today = r.today_sql()
    paid = _sum(a, "principal_paid", "interest_paid", "fee_paid")
    return r.d.word(
        f"CASE WHEN {a}.paid_on IS NOT NULL THEN 'PAID' WHEN {a}.due_date < {today} THEN "
        f"'OVERDUE' WHEN {a}.due_date = {today} THEN 'DUE' WHEN {paid} > 0 "
        "THEN 'PARTIALLY_PAID' ELSE 'UPCOMING' END"
    )


INSTALLMENT: dict[str, Field] = {
    "seq": column("number", "seq"),
    "dueDate": column("date", "due_date"),
    "principalDue": column("decimal", "principal_due", Installment),
    "interestDue": column("decimal", "interest_due", Installment),
    "feeDue": column("decimal", "fee_due", Installment),
    "totalDue": lambda r, _, a: r.d.decimal(
        _sum(a, "principal_due", "interest_due", "fee_due"),
        _places(Installment, "fee_due"),
        null=False,
    ),
    "paidAmount": lambda r, _, a: r.d.decimal(
        _sum(a, "principal_paid", "interest_paid", "fee_paid"),
        _places(Installment, "fee_paid"),
        null=False,
    ),
    "paidOn": column("date", "paid_on"),
    "status": _installment_status,
}

PAYMENT: dict[str, Field] = {
    "id": global_id("Payment"),
    "amount": column("decimal", "amount", Payment),
    "paidAt": column("datetime", "paid_at"),
    "idempotencyKey": column("text", "idempotency_key"),
    "principalPrepaid": column("decimal", "principal_prepaid", Payment),
    "credit": column("decimal", "credit", Payment),
}


def _schedule(r: Reading, sel: Selected, a: str) -> str:
    doc = obj(r, sel, INSTALLMENT, "i")
    return r.d.array(doc, f"FROM installment i WHERE i.loan_id = {a}.id", "i.seq", "i")


def _payments(r: Reading, sel: Selected, a: str) -> str:
    doc = obj(r, sel, PAYMENT, "p")
    scope = r.scoped(Payment, "payment", "p.id", parent="loan")
    return r.d.array(doc, f"FROM payment p WHERE p.loan_id = {a}.id{scope}", "p.paid_at, p.id", "p")


LOAN: dict[str, Field] = {
    "id": global_id("Loan"),
    "status": column("word", "status"),
    "principal": column("decimal", "principal", Loan),
    "annualRate": column("decimal", "annual_rate", Loan),
    "termMonths": column("number", "term_months"),
    "method": column("word", "method"),
    "disbursedOn": column("date", "disbursed_on"),
    "outstandingPrincipal": column("decimal", "outstanding_principal", Loan),
    "creditBalance": column("decimal", "credit_balance", Loan),
    "daysPastDue": column("number", "days_past_due"),
    "bucket": column("text", "bucket"),
    "closedOn": column("date", "closed_on"),
    "schedule": _schedule,
    "payments": _payments,
}

INTERACTION: dict[str, Field] = {
    "id": global_id("Interaction"),
    "channel": column("word", "channel"),
    "direction": column("word", "direction"),
    "type": column("word", "type"),
    "text": column("text", "text"),
    "outcome": column("word", "outcome"),
    "promiseAmount": column("decimal", "promise_amount", Interaction),
    "promiseDate": column("date", "promise_date"),
    "occurredAt": column("datetime", "occurred_at"),
    "loanId": global_id("Loan", "loan_id"),
}


def _loans(r: Reading, sel: Selected, a: str) -> str:
    doc = obj(r, sel, LOAN, "lo")
    scope = r.scoped(Loan, "loan", "lo.id", parent="customer")
    return r.d.array(doc, f"FROM loan lo WHERE lo.customer_id = {a}.id{scope}", "lo.id", "lo")


def _interaction_cursor(r: Reading, a: str) -> str:
    return r.d.b64(f"{r.d.micros(f'{a}.occurred_at')} || '|' || {a}.id")


def _interactions(r: Reading, sel: Selected, a: str) -> str:
    """`interactions(first:, after:)`, newest first; the cursor is (microseconds, id)."""
    first = 20 if sel.args.get("first") is None else int(sel.args["first"])
    try:
        check_first(first)
        mark = cursor_numbers(sel.args.get("after"), 2)
    except DomainError as exc:  # the resolver says what is wrong
        raise NotCompiled("Customer.interactions: a first or after refused") from exc

    @cache  # made when first used: a parameter made and not placed in the SQL is an error
    def rows() -> str:
        scope = r.scoped(Interaction, "interaction", "lg_i.id", parent="customer")
        return f"FROM interaction lg_i WHERE lg_i.customer_id = {a}.id{scope}"

    @cache
    def after() -> str:
        if mark is None:
            return rows()
        at, key = r.d.micros_number("lg_i.occurred_at"), r.d.param(mark[0])
        older = f"({at} < {key} OR ({at} = {key} AND lg_i.id < {r.d.param(mark[1])}))"
        return f"{rows()} AND {older}"

    def page() -> str:
        return f"FROM (SELECT * {after()} ORDER BY occurred_at DESC, id DESC LIMIT {first}) it"

    newest = "it.occurred_at DESC, it.id DESC"

    def edges(e: Selected) -> str:
        fields: dict[str, Field] = {
            "cursor": lambda r, _, a: _interaction_cursor(r, a),
            "node": lambda r, s, a: obj(r, s, INTERACTION, a),
        }
        return r.d.array(obj(r, e, fields, "it"), page(), newest, "it")

    def page_info(p: Selected) -> str:
        fields: dict[str, Field] = {
            "hasNextPage": lambda r, _, a: r.d.boolean(f"(SELECT count(*) {after()}) > {first}"),
            "endCursor": lambda r, _, a: r.d.nullable(
                f"(SELECT {_interaction_cursor(r, 'it')} {page()} "
                "ORDER BY it.occurred_at, it.id LIMIT 1)"
            ),
        }
        return obj(r, p, fields, a)

    fields: dict[str, Field] = {
        "totalCount": lambda r, _, a: f"(SELECT count(*) {rows()})",
        "edges": lambda r, s, a: edges(s),
        "pageInfo": lambda r, s, a: page_info(s),
    }
    return obj(r, sel, fields, a)


def _sensitive(name: str, mask: str) -> Field:
    def sql(r: Reading, _: Selected, a: str) -> str:
        if r.sensitive:
            if r.nested:  # audited per customer of the page's rows only
                raise NotCompiled(f"Customer.{name} unmasked under another object")
            r.audited.add(name)
            return r.d.text(f"{a}.{name}")
        return r.d.text(getattr(r.d, mask)(f"{a}.{name}"))

    return sql


def _rfm(r: Reading, sel: Selected, a: str) -> str:
    fields: dict[str, Field] = {
        "recency": column("number", "rfm_recency"),
        "frequency": lambda r, _, a: r.d.number(f"coalesce({a}.rfm_frequency, 0)"),
        "monetary": lambda r, _, a: r.d.number(f"coalesce({a}.rfm_monetary, 0)"),
        "segment": column("text", "rfm_segment"),
    }
    return r.d.maybe(f"{a}.rfm_recency IS NOT NULL", obj(r, sel, fields, a))


_CONSENT = (("consent_sms", "SMS"), ("consent_app_push", "APP_PUSH"),
            ("consent_email", "EMAIL"), ("consent_phone", "PHONE"))  # fmt: skip

CUSTOMER: dict[str, Field] = {
    "id": global_id("Customer"),
    "name": column("text", "name"),
    "kind": column("word", "kind"),
    "idType": column("text", "id_type"),
    "email": column("text", "email"),
    "birthDate": column("date", "birth_date"),
    "address": column("text", "address"),
    "timeZone": column("text", "time_zone"),
    "monthlyIncome": column("decimal", "monthly_income", Customer),
    "branch": column("text", "branch"),
    "preferredChannel": column("word", "preferred_channel"),
    "riskRating": column("word", "risk_rating"),
    "lifecycleStage": column("word", "lifecycle_stage"),
    "rfm": _rfm,
    "consent": lambda r, _, a: r.d.flags([(f"{a}.{c}", name) for c, name in _CONSENT]),
    "createdAt": column("datetime", "created_at"),
    "idNumber": _sensitive("id_number", "mask_id_number"),
    "phone": _sensitive("phone", "mask_phone"),
    "loans": _loans,
    "interactions": _interactions,
}


def _loan_customer(r: Reading, sel: Selected, a: str) -> str:
    """A loan's borrower, with the caller's customer scope (always in it when the loan is)."""
    r.nested += 1
    try:
        doc = obj(r, sel, CUSTOMER, "lg_c")
    finally:
        r.nested -= 1
    scope = r.scoped(Customer, "customer", "lg_c.id")
    return r.d.nullable(
        f"(SELECT {doc} FROM customer lg_c WHERE lg_c.id = {a}.customer_id{scope})"  # noqa: S608
    )


LOAN["customer"] = _loan_customer
LOAN["productCode"] = lambda r, _, a: r.d.text(
    f"coalesce((SELECT lg_pr.code FROM product lg_pr WHERE lg_pr.id = {a}.product_id), '')"  # noqa: S608
)
