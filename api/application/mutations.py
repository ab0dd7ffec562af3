"""Application mutations: submitting an application."""

from decimal import Decimal
from typing import Annotated

import strawberry

from api.access import Audited, require_customer, snapshot
from api.application.types import Application
from api.context import Info
from api.enums import ApplicationChannel
from api.errors import UserErrors, returns_user_errors
from api.relay import expect_id
from bpmn import approval
from domain.application import service


@strawberry.input(description="A customer's request for a loan.")
class SubmitApplicationInput:
    customer_id: strawberry.ID
    product_code: str
    amount: Decimal
    term_months: int
    channel: ApplicationChannel
    purpose: str = ""


@strawberry.type(description="The application is stored and awaits its decision.")
class SubmitApplicationSuccess:
    application: Application


SubmitApplicationResult = Annotated[
    SubmitApplicationSuccess | UserErrors,
    strawberry.union("SubmitApplicationResult"),
]


@strawberry.type
class ApplicationMutations:
    @strawberry.mutation(description="Submit an application for a product, amount and term.")
    @returns_user_errors
    async def submit_application(
        self, info: Info, input: SubmitApplicationInput
    ) -> SubmitApplicationResult:
        customer_id = expect_id(input.customer_id, "Customer", "customerId")
        await require_customer(info, "application", "submit", customer_id)
        async with Audited(info, "application.submit", "application") as change:
            row = await service.submit(
                customer_id=customer_id,
                product_code=input.product_code,
                amount=input.amount,
                term_months=input.term_months,
                channel=input.channel,
                purpose=input.purpose,
            )
            change.object_id = row.id
            change.after = snapshot(row, "customer_id", "amount", "term_months", "channel")
            # no approval process in force: PROCESS_NOT_DEPLOYED, and nothing of this is kept
            view, row = await approval.start_for(row.id)
        if view.row is not None:  # the answer reads the instance as the start stored it
            info.context.loaders.instance_by_business_key.prime(view.business_key, view.row)
        return SubmitApplicationSuccess(application=Application.from_model(row))
