"""Reference rows created once per seed: staff, products, tags, fields, campaigns, the date."""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from tortoise.transactions import in_transaction

from domain.campaign.models import Campaign
from domain.clock.models import BusinessDay
from domain.customer.models import Tag
from domain.customfield.models import CustomFieldDefinition, FieldType
from domain.product.models import Product
from domain.seed import catalog
from domain.seed.member import Staff, at_local, institution_zone
from domain.seed.records import CampaignRef
from domain.seed.rows import Batch, Ids
from domain.user.models import User

REFERENCE_MODELS = (User, Product, Tag, CustomFieldDefinition, Campaign, BusinessDay)
FIELDS: tuple[tuple[str, str, FieldType, list[str]], ...] = (
    ("occupation", "Occupation", FieldType.CHOICE, list(catalog.OCCUPATIONS)),
    ("wechat_id", "WeChat ID", FieldType.STRING, []),
    ("employee_count", "Number of employees", FieldType.INTEGER, []),
)


@dataclass(frozen=True, slots=True)
class Reference:
    """Ids of the reference rows, and how many of them this seed created."""

    staff: Staff
    product_ids: dict[str, int]
    tag_ids: dict[str, int]
    field_ids: dict[str, int]
    campaigns: list[CampaignRef]
    users_created: int
    products_created: int


def extra_manager_count(customers: int) -> int:
    """Account managers beyond am1 and am2: about one per 250 customers, at least 2."""
    return max(2, round(customers / 250))


def _staff_specs(rng: random.Random, customers: int) -> list[catalog.StaffSpec]:
    specs = list(catalog.DEMO_STAFF)
    order = (catalog.BEIJING, catalog.SHENZHEN, catalog.SHANGHAI)
    for number in range(3, 3 + extra_manager_count(customers)):
        branch = order[(number - 3) % len(order)]
        surname = rng.choice(catalog.SURNAMES)[0]
        given = rng.choice(catalog.MALE_GIVEN + catalog.FEMALE_GIVEN)[0]
        team = catalog.BRANCH_TEAMS[branch]
        specs.append(
            catalog.StaffSpec(f"am{number}", surname + given, ("account_manager",), branch, team)
        )
    return specs


async def _users(
    specs: list[catalog.StaffSpec], password_hash: str, since: date, ids: Ids, batch: Batch
) -> tuple[Staff, int]:
    names = [s.username for s in specs]
    user_ids = dict(await User.filter(username__in=names).values_list("username", "id"))
    created_at = at_local(since, 9 * 3600, institution_zone())
    for s in specs:
        if s.username in user_ids:
            continue
        user_ids[s.username] = ids.take(User)
        batch.add(
            User,
            id=user_ids[s.username],
            username=s.username,
            full_name=s.full_name,
            email=f"{s.username}@lendgraph.example",
            branch=s.branch,
            team=s.team,
            roles=list(s.roles),
            password_hash=password_hash,
            is_active=True,
            created_at=created_at,
        )
    managers: dict[str, list[int]] = {branch: [] for branch in catalog.BRANCHES}
    for s in specs:
        if "account_manager" in s.roles and s.branch is not None:
            managers[s.branch].append(user_ids[s.username])
    return Staff(user_ids, {b: tuple(v) for b, v in managers.items()}), batch.count(User)


async def _products(ids: Ids, batch: Batch) -> dict[str, int]:
    codes = list(catalog.PRODUCT_CODES)
    product_ids = dict(await Product.filter(code__in=codes).values_list("code", "id"))
    for p in catalog.PRODUCTS:
        if p.code in product_ids:
            continue
        product_ids[p.code] = ids.take(Product)
        batch.add(
            Product,
            id=product_ids[p.code],
            code=p.code,
            name=p.name,
            method=p.method,
            min_rate=p.min_rate,
            max_rate=p.max_rate,
            min_term=min(p.terms),
            max_term=max(p.terms),
            min_amount=p.min_amount,
            max_amount=p.max_amount,
            active=True,
        )
    return product_ids


async def _tags(ids: Ids, batch: Batch) -> dict[str, int]:
    tag_ids = dict(await Tag.filter(name__in=list(catalog.TAGS)).values_list("name", "id"))
    for name, text in catalog.TAGS.items():
        if name not in tag_ids:
            tag_ids[name] = ids.take(Tag)
            batch.add(Tag, id=tag_ids[name], name=name, description=text)
    return tag_ids


async def _fields(ids: Ids, since: date, batch: Batch) -> dict[str, int]:
    names = [name for name, *_ in FIELDS]
    field_ids = dict(await CustomFieldDefinition.filter(name__in=names).values_list("name", "id"))
    for name, label, kind, allowed in FIELDS:
        if name in field_ids:
            continue
        field_ids[name] = ids.take(CustomFieldDefinition)
        batch.add(
            CustomFieldDefinition,
            id=field_ids[name],
            name=name,
            label=label,
            field_type=kind,
            required=False,
            allowed_values=allowed,
            created_at=at_local(since, 10 * 3600, institution_zone()),
        )
    return field_ids


async def _campaigns(
    ids: Ids, product_ids: dict[str, int], bd: date, batch: Batch
) -> list[CampaignRef]:
    codes = [c.code for c in catalog.CAMPAIGNS]
    found = {
        code: (cid, starts, ends)
        for code, cid, starts, ends in await Campaign.filter(code__in=codes).values_list(
            "code", "id", "starts_on", "ends_on"
        )
    }
    refs: list[CampaignRef] = []
    for spec in catalog.CAMPAIGNS:
        if spec.code in found:
            cid, starts, ends = found[spec.code]
            refs.append(CampaignRef(cid, spec, starts, ends or bd))
            continue
        starts = bd - timedelta(days=spec.starts_days_ago)
        ends = bd - timedelta(days=spec.ends_days_ago)
        cid = ids.take(Campaign)
        batch.add(
            Campaign,
            id=cid,
            code=spec.code,
            name=spec.name,
            product_id=product_ids[spec.product_code],
            channel=spec.channel,
            starts_on=starts,
            ends_on=ends,
        )
        refs.append(CampaignRef(cid, spec, starts, ends))
    return refs


async def create_reference(
    rng: random.Random,
    *,
    customers: int,
    password_hash: str,
    business_date: date,
    ids: Ids,
) -> Reference:
    """Create (or find) staff, products, tags, field definitions, campaigns and the date."""
    since = business_date - timedelta(days=1100)
    batch = Batch()
    specs = _staff_specs(rng, customers)
    staff, users_created = await _users(specs, password_hash, since, ids, batch)
    product_ids = await _products(ids, batch)
    tag_ids = await _tags(ids, batch)
    field_ids = await _fields(ids, since, batch)
    campaigns = await _campaigns(ids, product_ids, business_date, batch)
    day_exists = await BusinessDay.filter(id=1).exists()
    if not day_exists:
        stamped = at_local(business_date, 0, institution_zone())
        batch.add(BusinessDay, id=1, current=business_date, updated_at=stamped)
    async with in_transaction() as conn:
        await batch.write(REFERENCE_MODELS, conn)
        if day_exists:
            await BusinessDay.filter(id=1).using_db(conn).update(current=business_date)
    return Reference(
        staff,
        product_ids,
        tag_ids,
        field_ids,
        campaigns,
        users_created=users_created,
        products_created=batch.count(Product),
    )
