"""Starting the credit approval process for a submitted application."""

import os
from decimal import Decimal
from typing import Any

from bpmn import outcomes, runner
from domain import byhand
from domain.application.models import Application, ApplicationStatus
from domain.clock import service as clock
from domain.credit import facts
from domain.errors import NotFoundError

PROCESS_ID = outcomes.APPROVAL


def _policy() -> dict[str, Any]:
    return {
        "max_report_age_days": int(os.environ.get("LENDGRAPH_MAX_REPORT_AGE_DAYS", "30")),
        "second_approval_above": Decimal(
            os.environ.get("LENDGRAPH_SECOND_APPROVAL_ABOVE", "500000")
        ),
    }


def start_data(found: facts.ApplicationFacts) -> dict[str, Any]:
    """What credit approval starts from: the application's facts and the policy in force."""
    data: dict[str, Any] = {
        **_policy(),
        "application_id": found.application_id,
        "customer_id": found.customer_id,
        "amount": found.amount,
        "term_months": found.term_months,
        "product_code": found.product_code,
        "report_age_days": None,
    }
    if found.pulled_at is not None:
        income = found.monthly_income
        debt = found.total_debt or Decimal("0")
        burden = debt / (income * 12) if income else Decimal("0.5")
        data.update(
            report_age_days=(found.today - clock.local_date(found.pulled_at)).days,
            bureau_score=found.bureau_score,
            debt_to_income=burden.quantize(Decimal("0.0001")),
            worst_dpd_12m=found.worst_dpd,
        )
    return data


async def start_for(application_id: int) -> tuple[runner.InstanceView, Application]:
    """Start approval for a submitted application (ProcessNotDeployedError when not in force).

    Returns the instance and the application as the start left them: IN_REVIEW while the
    process waits before deciding, else as its run moved it on (contracted, declined).
    """
    found = await facts.of(application_id)
    if found is None:
        raise NotFoundError("application", application_id)
    with facts.kept(found):  # for the run's first service call (scoring, when fresh)
        view = await runner.start(
            PROCESS_ID, start_data(found), business_key=f"application:{application_id}"
        )
    application = await byhand.by_id(Application, application_id)
    if application is None:  # removed while its approval started
        raise NotFoundError("application", application_id)
    if application.status == ApplicationStatus.SUBMITTED:
        application.status = ApplicationStatus.IN_REVIEW
        await Application.filter(id=application_id, status=ApplicationStatus.SUBMITTED).update(
            status=ApplicationStatus.IN_REVIEW
        )
    return view, application
