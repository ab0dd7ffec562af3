"""Credit applications: submission with checks against the product's bounds."""

from datetime import UTC, datetime
from decimal import Decimal
from functools import cache

from domain import byhand, sqltext
from domain.application.models import Application, ApplicationChannel, ApplicationStatus
from domain.campaign import service as campaigns
from domain.customer.models import Customer
from domain.errors import Problems
from domain.product.models import Product
from domain.transactions import joined


@cache
def _product_and_customer() -> str:
    return (
        f"SELECT {byhand.select_list(Product, 'p')}, "  # noqa: S608
        f"(SELECT c.id FROM {Customer._meta.db_table} c WHERE c.id = :customer) AS lg_customer, "
        f"{campaigns.invited('p.id')} AS lg_invited "
        f"FROM {Product._meta.db_table} p WHERE p.code = :code AND p.active"
    )


async def submit(
    *,
    customer_id: int,
    product_code: str,
    amount: Decimal,
    term_months: int,
    channel: ApplicationChannel,
    purpose: str = "",
) -> Application:
    """Store a new application after checking it fits the product."""
    problems = Problems()
    # the product, whether the customer exists and whether a campaign invited them to it, in
    # one statement (two without the product); the values checked by their columns first, as a
    # filter of Tortoise's would check them
    values = {
        "code": byhand.checked(Product, code=product_code)["code"],
        "customer": byhand.checked(Customer, id=customer_id)["id"],
        "sent": campaigns.INVITED_SENT,
    }
    _, found = await sqltext.execute(_product_and_customer(), values)
    product = byhand.hydrate(Product, found[0]) if found else None
    if product is not None:
        known = found[0]["lg_customer"] is not None
    else:
        known = await Customer.exists(id=customer_id)
    if not known:
        problems.add("customer_id", f"no customer {customer_id}")
    if product is None:
        problems.add("product_code", f"'{product_code}' is not an active product")
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        problems.add("amount", "must be an amount in whole cents")
    elif product is not None and not product.min_amount <= amount <= product.max_amount:
        problems.add("amount", f"must be between {product.min_amount} and {product.max_amount}")
    if product is not None and not product.min_term <= term_months <= product.max_term:
        problems.add(
            "term_months", f"must be between {product.min_term} and {product.max_term} months"
        )
    if len(purpose) > 200:
        problems.add("purpose", "must be at most 200 characters")
    problems.raise_if_any()
    assert product is not None
    async with joined():  # the caller's transaction when one is open (a request's)
        application = await byhand.create(
            Application(
                customer_id=customer_id,
                product_id=product.id,
                channel=channel,
                amount=amount,
                term_months=term_months,
                purpose=purpose.strip(),
                status=ApplicationStatus.SUBMITTED,
                submitted_at=datetime.now(UTC),
            )
        )
        invited = bool(found[0]["lg_invited"])
        await campaigns.record_conversion(customer_id, product.id, application.id, invited=invited)
    return application
