"""Small builders of real rows through the domain services."""

from datetime import date
from decimal import Decimal
from typing import Any

from domain.customer import service as customers
from domain.customer.models import Customer
from domain.loan import service as loans
from domain.loan.models import Loan
from domain.loan.schedule import AmortizationMethod
from domain.product.models import Product
from domain.user.models import User

VALID_IDS = ["11010519491231002X", "110101199003077774", "440305198807150016"]


async def product(code: str = "CONSUMER", method: AmortizationMethod | None = None) -> Product:
    """A product with generous bounds."""
    found = await Product.get_or_none(code=code)
    if found:
        return found
    return await Product.create(
        code=code,
        name=code.title(),
        method=method
        or (
            AmortizationMethod.EQUAL_PRINCIPAL
            if code == "SME"
            else AmortizationMethod.EQUAL_INSTALLMENT
        ),
        min_rate=Decimal("0.01"),
        max_rate=Decimal("0.36"),
        min_term=3,
        max_term=60,
        min_amount=Decimal("1000.00"),
        max_amount=Decimal("3000000.00"),
    )


async def user(username: str, roles: list[str] | None = None, **kwargs: Any) -> User:
    """A staff user."""
    return await User.create(username=username, roles=roles or ["account_manager"], **kwargs)


async def customer(name: str = "王芳", **data: Any) -> Customer:
    """A customer with a valid phone number unless given."""
    data.setdefault("phone", f"138{abs(hash(name)) % 10**8:08d}")
    manager = data.pop("account_manager_id", None)
    return await customers.create(data={"name": name, **data}, account_manager_id=manager)


async def loan(
    owner: Customer,
    *,
    principal: str = "12000.00",
    rate: str = "0.12",
    term: int = 12,
    disbursed_on: date = date(2026, 1, 15),
    code: str = "CONSUMER",
) -> Loan:
    """A disbursed loan with its generated schedule."""
    prod = await product(code)
    return await loans.create(
        customer_id=owner.id,
        product_id=prod.id,
        principal=Decimal(principal),
        annual_rate=Decimal(rate),
        term_months=term,
        method=prod.method,
        disbursed_on=disbursed_on,
    )
