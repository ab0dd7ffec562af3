"""Starting the credit approval process for a submitted application."""

import os
from decimal import Decimal
from typing import Any

from bpmn import outcomes, runner
from domain.application.models import Application, ApplicationStatus
from domain.clock import service as clock
from domain.credit.models import CreditReport
from domain.loan.models import Loan, LoanStatus

PROCESS_ID = outcomes.APPROVAL


def _policy() -> dict[str, Any]:
    return {
        "max_report_age_days": int(os.environ.get("LENDGRAPH_MAX_REPORT_AGE_DAYS", "30")),
        "second_approval_above": Decimal(
            os.environ.get("LENDGRAPH_SECOND_APPROVAL_ABOVE", "500000")
        ),
    }


async def start_data(application: Application) -> dict[str, Any]:
    """What the approval process starts from: the application, the newest report, the policy."""
    customer_id: int = application.customer_id  # type: ignore[attr-defined]
    product = await application.product
    data: dict[str, Any] = {
        **_policy(),
        "application_id": application.id,
        "customer_id": customer_id,
        "amount": application.amount,
        "term_months": application.term_months,
        "product_code": product.code,
        "report_age_days": None,
    }
    report = await CreditReport.filter(customer_id=customer_id).order_by("-pulled_at").first()
    if report is not None:
        today = await clock.get()
        income = (await application.customer).monthly_income
        active = await Loan.filter(customer_id=customer_id, status=LoanStatus.ACTIVE)
        worst = max((loan.days_past_due for loan in active), default=0)
        burden = report.total_debt / (income * 12) if income else Decimal("0.5")
        data.update(
            report_age_days=(today - clock.local_date(report.pulled_at)).days,
            bureau_score=report.score,
            debt_to_income=burden.quantize(Decimal("0.0001")),
            worst_dpd_12m=worst,
        )
    return data


async def start_for(application_id: int) -> runner.InstanceView:
    """Start approval for a submitted application (ProcessNotDeployedError when not in force)."""
    application = await Application.get(id=application_id)
    view = await runner.start(
        PROCESS_ID, await start_data(application), business_key=f"application:{application.id}"
    )
    if application.status == ApplicationStatus.SUBMITTED:
        await Application.filter(id=application.id, status=ApplicationStatus.SUBMITTED).update(
            status=ApplicationStatus.IN_REVIEW
        )
    return view
