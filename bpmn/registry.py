"""Registry of named, typed domain operations that service tasks may call.

The names and parameter types are data (checked at deploy); implementations are attached
later with :func:`implements`. A diagram can call nothing that is not listed here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from bpmn.errors import UnknownOperation

# Parameter type names as the spiff properties panel writes them, mapped to Python types.
PARAM_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "string": (str,),
    "int": (int,),
    "integer": (int,),
    "decimal": (Decimal, int),
    "bool": (bool,),
    "boolean": (bool,),
    "date": (dt.date,),
    "dict": (dict,),
    "list": (list,),
}


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    required: bool = True


@dataclass(frozen=True)
class Operation:
    name: str
    params: tuple[Param, ...]
    result: str = "dict"
    description: str = ""
    example: Mapping[str, Any] = field(default_factory=dict)  # a typical result (dry runs)

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def check_params(self, given: Mapping[str, str | None]) -> list[str]:
        """Deploy-time check of parameter names and declared types (name -> type or None)."""
        problems = []
        for name, declared in given.items():
            param = self.param(name)
            if param is None:
                problems.append(f"operation {self.name!r} has no parameter {name!r}")
            elif declared and PARAM_TYPES.get(declared) != PARAM_TYPES.get(param.type):
                problems.append(
                    f"parameter {name!r} of {self.name!r} is {param.type}, not {declared}"
                )
        for param in self.params:
            if param.required and param.name not in given:
                problems.append(f"operation {self.name!r} needs parameter {param.name!r}")
        return problems

    def coerce(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Run-time check of evaluated parameter values; returns the typed arguments."""
        out: dict[str, Any] = {}
        for param in self.params:
            if param.name not in values:
                if param.required:
                    raise TypeError(f"{self.name}: missing parameter {param.name!r}")
                continue
            value = values[param.name]
            if param.type == "decimal" and isinstance(value, int | str | float):
                value = Decimal(str(value))
            if param.type == "date" and isinstance(value, str):
                value = dt.date.fromisoformat(value)
            allowed = PARAM_TYPES[param.type]
            if not isinstance(value, allowed) or (bool not in allowed and value is True):
                raise TypeError(f"{self.name}: parameter {param.name!r} must be {param.type}")
            out[param.name] = value
        unknown = set(values) - {p.name for p in self.params}
        if unknown:
            raise TypeError(f"{self.name}: unknown parameters {sorted(unknown)}")
        return out


def _op(
    name: str,
    *params: tuple[str, str] | tuple[str, str, bool],
    doc: str = "",
    example: Mapping[str, Any] | None = None,
) -> Operation:
    return Operation(
        name, tuple(Param(*p) for p in params), description=doc, example=dict(example or {})
    )


OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        _op("credit.pull_report", ("customer_id", "int"), ("bureau", "str", False),
            doc="Fetch a credit bureau report for the customer.",
            example={"report_id": None, "bureau_score": 700, "debt_to_income": "0.30",
                     "worst_dpd_12m": 0}),
        _op("credit.score_application", ("application_id", "int"),
            doc="Score a loan application; returns score and band.",
            example={"score": 690, "band": "B", "annual_rate": "0.1290"}),
        _op("loan.create_contract", ("application_id", "int"), ("principal", "decimal"),
            ("annual_rate", "decimal"), ("term_months", "int"), ("start_date", "date", False),
            doc="Create the contract and its installment schedule.",
            example={"loan_id": 0, "contract_id": 0, "number": "LG-DRYRUN"}),
        _op("loan.disburse", ("loan_id", "int"), ("amount", "decimal", False),
            doc="Disburse the loan principal.",
            example={"disbursement_id": 0, "loan_id": 0}),
        _op("message.send", ("customer_id", "int"), ("template", "str"),
            ("loan_id", "int", False), ("purpose", "str", False), ("channel", "str", False),
            ("params", "dict", False),
            doc="Queue a templated message; the contact policy sends, defers or drops it.",
            example={"message_id": 0, "status": "QUEUED", "reason": None}),
        _op("contact.check", ("loan_id", "int"), ("channel", "str", False),
            doc="May the customer be contacted about the loan now? allowed, reason, next_at.",
            example={"allowed": True, "reason": None, "next_at": None}),
        _op("collection.assign_collector", ("loan_id", "int"), ("strategy", "str", False),
            ("team", "str", False),
            doc="Keep or assign the least loaded collector (none for GENTLE).",
            example={"collector_id": None, "handled_by": "collector"}),
        _op("collection.record_contact", ("loan_id", "int"), ("outcome", "str"),
            ("kind", "str", False), ("promise_date", "str", False),
            ("promise_amount", "str", False), ("note", "str", False),
            doc="Record a collections call or visit and any promise to pay.",
            example={"interaction_id": 0, "promised": False, "promise_check_at": None}),
        _op("collection.check_promise", ("interaction_id", "int"),
            doc="Whether a promise to pay was kept by its date.",
            example={"kept": True, "paid": "0.00"}),
        _op("collection.loan_status", ("loan_id", "int"),
            doc="Status, DPD and bucket of the loan; cured or written off.",
            example={"status": "ACTIVE", "days_past_due": 0, "bucket": "M0", "cured": True,
                     "written_off": False}),
        _op("loan.write_off", ("loan_id", "int"), ("reason", "str", False),
            doc="Charge the loan off.",
            example={"status": "CHARGED_OFF", "outstanding_principal": "0.00", "reason": ""}),
        _op("interaction.record_offer_call", ("customer_id", "int"), ("outcome", "str"),
            doc="Record the account manager's call about an offer and its outcome.",
            example={"interaction_id": 0}),
        _op("customer.add_tag", ("customer_id", "int"), ("tag", "str"),
            ("explanation", "str", False), doc="Add a tag to the customer, with why.",
            example={"tag": "", "created": True}),
    )
}  # fmt: skip

Impl = Callable[..., Any]
_IMPLEMENTATIONS: dict[str, Impl] = {}
F = TypeVar("F", bound=Impl)


def get_operation(name: str) -> Operation:
    try:
        return OPERATIONS[name]
    except KeyError:
        raise UnknownOperation(f"unknown service operation {name!r}") from None


def implements(name: str) -> Callable[[F], F]:
    """Decorator registering the implementation of a listed operation."""
    get_operation(name)

    def register(fn: F) -> F:
        _IMPLEMENTATIONS[name] = fn
        return fn

    return register


def implementation(name: str) -> Impl | None:
    return _IMPLEMENTATIONS.get(name)


@dataclass
class ServiceCall:
    """A service call requested by a workflow (recorded when no implementation is bound)."""

    operation: str
    arguments: dict[str, Any] = field(default_factory=dict)
