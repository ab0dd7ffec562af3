"""Customer identities: names, resident IDs, credit codes, phones and addresses."""

import itertools
import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from domain.customer.validation import resident_id_check_digit
from domain.enums import Channel, CustomerKind
from domain.loan.schedule import add_months
from domain.seed import catalog

BUSINESS_SHARE = 0.10
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_SURNAME_CUM = tuple(itertools.accumulate(w for _, _, w in catalog.SURNAMES))
_CHANNELS = (Channel.SMS, Channel.APP_PUSH, Channel.EMAIL, Channel.PHONE)


def uscc_check_char(first17: str) -> str:
    """The GB 32100-2015 check character of a unified social credit code."""
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def org_code_check_char(body8: str) -> str:
    """The GB 11714 check character of an 8-digit organization code body."""
    check = 11 - sum(int(c) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True)) % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def _coprime_multiplier(rng: random.Random, modulus: int) -> int:
    value = rng.randrange(modulus // 3, modulus) | 1
    while math.gcd(value, modulus) != 1:
        value += 2
    return value


@dataclass(frozen=True, slots=True)
class Keys:
    """Affine bijections that make resident IDs, phones and credit codes unique per index."""

    first_birth: date
    birth_days: int
    id_mult: int
    id_add: int
    phone_mult: int
    phone_add: int
    org_mult: int
    org_add: int

    @property
    def id_space(self) -> int:
        """Number of distinct (birth date, region, sequence) triples."""
        return self.birth_days * len(catalog.REGIONS) * 1000

    @classmethod
    def draw(cls, rng: random.Random, business_date: date) -> "Keys":
        """Draw the bijection parameters; ages run from 21 to 65 on the business date."""
        first = add_months(business_date, -66 * 12) + timedelta(days=1)
        last = add_months(business_date, -21 * 12)
        days = (last - first).days + 1
        space = days * len(catalog.REGIONS) * 1000
        return cls(
            first_birth=first,
            birth_days=days,
            id_mult=_coprime_multiplier(rng, space),
            id_add=rng.randrange(space),
            phone_mult=_coprime_multiplier(rng, 10**8),
            phone_add=rng.randrange(10**8),
            org_mult=_coprime_multiplier(rng, 10**8),
            org_add=rng.randrange(10**8),
        )


@dataclass(slots=True)
class Identity:
    """Who a customer is and how to reach them."""

    kind: CustomerKind
    name: str
    id_type: str
    id_number: str
    phone: str
    email: str
    birth_date: date | None
    address: str
    time_zone: str
    monthly_income: Decimal
    branch: str
    preferred_channel: Channel
    consent_sms: bool
    consent_app_push: bool
    consent_email: bool
    consent_phone: bool
    male: bool


def _branch_for(rng: random.Random, region: str) -> str:
    local = catalog.REGION_BRANCH.get(region[:2])
    if local is not None and rng.random() < 0.85:
        return local
    return rng.choices(catalog.BRANCHES, weights=catalog.BRANCH_WEIGHTS)[0]


def _address(rng: random.Random, city: str, business: bool) -> str:
    place, streets = catalog.CITY_STREETS[city]
    street, number = rng.choice(streets), rng.randint(1, 1888)
    if business:
        return f"{place}{street}{number}号{rng.randint(1, 32)}楼"
    building, floor, room = rng.randint(1, 30), rng.randint(1, 28), rng.randint(1, 6)
    return f"{place}{street}{number}号{building}栋{floor}{room:02d}室"


def _income(rng: random.Random, median: float, low: int, high: int) -> Decimal:
    value = int(math.exp(rng.gauss(math.log(median), 0.5)) / 100) * 100
    return Decimal(min(max(value, low), high)).quantize(Decimal("0.01"))


def _contact(
    rng: random.Random, index: int, keys: Keys, weights: tuple[float, ...]
) -> tuple[str, Channel, bool, bool, bool, bool]:
    suffix = (index * keys.phone_mult + keys.phone_add) % 10**8
    phone = f"{rng.choice(catalog.PHONE_PREFIXES)}{suffix:08d}"
    channel = rng.choices(_CHANNELS, weights=weights)[0]
    sms = channel is Channel.SMS or rng.random() < 0.7
    push = channel is Channel.APP_PUSH or rng.random() < 0.55
    email = channel is Channel.EMAIL or rng.random() < 0.35
    call = channel is Channel.PHONE or rng.random() < 0.95
    return phone, channel, sms, push, email, call


def person(rng: random.Random, index: int, customer_id: int, keys: Keys) -> Identity:
    """A natural person with a valid, unique resident ID derived from the index."""
    m = (index * keys.id_mult + keys.id_add) % keys.id_space
    seq, rest = m % 1000, m // 1000
    region = catalog.REGIONS[rest % len(catalog.REGIONS)][0]
    born = keys.first_birth + timedelta(days=rest // len(catalog.REGIONS))
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    male = seq % 2 == 1  # the 17th digit is odd for men
    surname, surname_py, _ = rng.choices(catalog.SURNAMES, cum_weights=_SURNAME_CUM)[0]
    pool = catalog.MALE_GIVEN if male else catalog.FEMALE_GIVEN
    given = rng.sample(pool, 2 if rng.random() < 0.6 else 1)
    lives_far = region == catalog.URUMQI_REGION and rng.random() < 0.6
    branch = _branch_for(rng, region)
    city = "Urumqi" if lives_far else branch
    big_city = 11000.0 if branch in (catalog.SHANGHAI, catalog.BEIJING) else 9500.0
    phone, channel, sms, push, email, call = _contact(rng, index, keys, (0.35, 0.35, 0.1, 0.2))
    given_py = "".join(py for _, py in given)
    return Identity(
        kind=CustomerKind.PERSON,
        name=surname + "".join(ch for ch, _ in given),
        id_type="RESIDENT_ID",
        id_number=first17 + resident_id_check_digit(first17),
        phone=phone,
        email=f"{surname_py}.{given_py}.{customer_id}@example.com",
        birth_date=born,
        address=_address(rng, city, business=False),
        time_zone="Asia/Urumqi" if lives_far else "Asia/Shanghai",
        monthly_income=_income(rng, big_city, 3000, 150000),
        branch=branch,
        preferred_channel=channel,
        consent_sms=sms,
        consent_app_push=push,
        consent_email=email,
        consent_phone=call,
        male=male,
    )


def business(rng: random.Random, index: int, customer_id: int, keys: Keys) -> Identity:
    """A small business with a valid-format, unique unified social credit code."""
    branch = rng.choices(catalog.BRANCHES, weights=catalog.BRANCH_WEIGHTS)[0]
    region = {catalog.SHANGHAI: "310115", catalog.BEIJING: "110105"}.get(branch, "440305")
    body = f"{(index * keys.org_mult + keys.org_add) % 10**8:08d}"
    first17 = f"{'92' if rng.random() < 0.2 else '91'}{region}{body}{org_code_check_char(body)}"
    form = rng.choices(catalog.COMPANY_FORMS, weights=[w for _, w in catalog.COMPANY_FORMS])[0]
    name = (
        rng.choice(catalog.COMPANY_CITIES)
        + rng.choice(catalog.COMPANY_BRANDS)
        + rng.choice(catalog.COMPANY_TRADES)
        + form[0]
    )
    phone, channel, sms, push, email, call = _contact(rng, index, keys, (0.15, 0.1, 0.4, 0.35))
    return Identity(
        kind=CustomerKind.BUSINESS,
        name=name,
        id_type="BUSINESS_LICENSE",
        id_number=first17 + uscc_check_char(first17),
        phone=phone,
        email=f"finance.{customer_id}@example.net",
        birth_date=None,
        address=_address(rng, branch, business=True),
        time_zone="Asia/Shanghai",
        monthly_income=_income(rng, 250000.0, 30000, 5000000),
        branch=branch,
        preferred_channel=channel,
        consent_sms=sms,
        consent_app_push=push,
        consent_email=email,
        consent_phone=call,
        male=False,
    )


def identity(rng: random.Random, index: int, customer_id: int, keys: Keys) -> Identity:
    """A person (about 90%) or a business (about 10%)."""
    if rng.random() < BUSINESS_SHARE:
        return business(rng, index, customer_id, keys)
    return person(rng, index, customer_id, keys)
