"""Credit applications: submission with checks against the product's bounds."""

from datetime import UTC, datetime
from decimal import Decimal

from tortoise.expressions import Subquery

from domain.application.models import Application, ApplicationChannel, ApplicationStatus
from domain.campaign import service as campaigns
from domain.customer.models import Customer
from domain.errors import Problems
from domain.product.models import Product
from domain.transactions import joined


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
    # the product, and whether the customer exists, in one statement (two without the product)
    product = (
        await Product.filter(code=product_code, active=True)
        .annotate(customer_found=Subquery(Customer.filter(id=customer_id).values("id")))
        .first()
    )
    if product is not None:
        known = getattr(product, "customer_found", None) is not None
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
        application = await Application.create(
            customer_id=customer_id,
            product_id=product.id,
            channel=channel,
            amount=amount,
            term_months=term_months,
            purpose=purpose.strip(),
            status=ApplicationStatus.SUBMITTED,
            submitted_at=datetime.now(UTC),
        )
        await campaigns.record_conversion(customer_id, product.id, application.id)
    return application
