"""Importing customers: upsert by external reference, attributes and custom fields."""

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from domain.customer.models import Customer, CustomerExternalRef
from domain.customer.validation import FIELDS as ATTRIBUTES
from domain.customer.validation import clean_customer
from domain.customfield.models import CustomFieldDefinition, CustomFieldValue, FieldType
from domain.customfield.service import clean_values
from domain.importer import normalise, refs, values
from domain.importer.rows import Env, Key, Row, Tally, key_filter
from domain.importer.store import UPDATE_BATCH, allocate_ids, insert, unsaved

CUSTOM = "custom."
COLUMNS = frozenset({"source", "external_id", "account_manager", *ATTRIBUTES})

Cleaned = dict[str, tuple[str, Decimal | None] | None]
Stored = dict[int, dict[str, Any]]  # field id -> stored value row


async def _lookup(
    rows: Sequence[Row], env: Env
) -> tuple[dict[Key, int], Stored, dict[int, Stored]]:
    """Existing customers of these rows: id by key, attributes given, custom values by field."""
    found: dict[Key, int] = {}
    if rows:
        query = CustomerExternalRef.filter(**key_filter(row.key for row in rows))
        for source, external_id, customer_id in await query.values_list(
            "source", "external_id", "customer_id"
        ):
            found[(str(source), str(external_id))] = int(customer_id)
    wanted = {found[row.key] for row in rows if row.key in found}
    attributes: Stored = {}
    custom: dict[int, Stored] = {customer_id: {} for customer_id in wanted}
    if wanted:
        given = set(ATTRIBUTES) & set().union(*(row.data for row in rows)) - {"id_type"}
        fields = ("id", "id_type", "account_manager_id", *sorted(given))
        for stored in await Customer.filter(id__in=sorted(wanted)).values(*fields):
            attributes[int(stored["id"])] = stored
    if wanted and env.defs:
        query_values = CustomFieldValue.filter(customer_id__in=sorted(wanted)).values(
            "id", "customer_id", "field_id", "value_text", "value_number"
        )
        for value in await query_values:
            custom[int(value["customer_id"])][int(value["field_id"])] = value
    return found, attributes, custom


def _typed(row: Row, given: dict[str, Any], name: str, read: Any) -> None:
    """Replace a given text value by what `read(row, column)` makes of it (drop it if bad)."""
    if name in given and given[name] not in (None, ""):
        value = read(row, name)
        if value is None:
            del given[name]  # the problem is recorded on the row
        else:
            given[name] = value


def _prepare(row: Row, given: dict[str, Any]) -> None:
    """Attributes read as people type them (phones, dates, amounts), before their rules."""
    phone = given.get("phone")
    if isinstance(phone, str) and phone:
        given["phone"] = normalise.phone(phone)
    _typed(row, given, "birth_date", values.day)
    _typed(row, given, "monthly_income", values.number)


def _prepare_custom(
    row: Row, extra: dict[str, Any], defs: dict[str, CustomFieldDefinition]
) -> None:
    """Numbers and dates of custom fields read as people type them (the rest as given)."""
    for name, value in extra.items():
        definition = defs.get(name)
        if definition is None or not isinstance(value, str) or not value:
            continue
        try:
            if definition.field_type in (FieldType.INTEGER, FieldType.DECIMAL):
                extra[name] = normalise.amount(value)
            elif definition.field_type == FieldType.DATE:
                extra[name] = normalise.day(value, row.date_format).isoformat()
        except ValueError:
            pass  # left as written: the custom field's own check names what is wrong


def _clean(row: Row, env: Env, stored: dict[str, Any] | None, custom: Stored) -> Cleaned:
    """Validate a row into row.values (attributes) and its custom values."""
    given = {name: row.data[name] for name in ATTRIBUTES if name in row.data}
    extra = {
        name.removeprefix(CUSTOM): value
        for name, value in row.data.items()
        if name.startswith(CUSTOM)
    }
    _prepare(row, given)
    _prepare_custom(row, extra, env.defs)
    if stored is not None and "id_number" in given and "id_type" not in given:
        given["id_type"] = stored["id_type"]
    partial = stored is not None
    row.values.update(
        clean_customer(given, partial=partial, today=env.today, problems=row.problems)
    )
    names = {d.id: name for name, d in env.defs.items()}
    existing = {names[field_id] for field_id in custom if field_id in names} if partial else None
    return clean_values(extra, env.defs, row.problems, existing=existing)


def _custom_changes(
    customer_id: int, cleaned: Cleaned, env: Env, stored: Stored
) -> tuple[list[int], list[CustomFieldValue]]:
    """Stored values to delete and values to insert so that the customer has `cleaned`."""
    delete: list[int] = []
    insert: list[CustomFieldValue] = []
    for name, value in cleaned.items():
        field_id = env.defs[name].id
        old = stored.get(field_id)
        if (
            old is not None
            and value is not None
            and (old["value_text"], old["value_number"]) == value
        ):
            continue
        if old is not None:
            delete.append(int(old["id"]))
        if value is not None:
            insert.append(
                unsaved(
                    CustomFieldValue,
                    customer_id=customer_id,
                    field_id=field_id,
                    value_text=value[0],
                    value_number=value[1],
                )
            )
    return delete, insert


async def _create(rows: list[Row], cleaned: dict[int, Cleaned], env: Env) -> list[CustomFieldValue]:
    ids = await allocate_ids(Customer, len(rows))
    customers, links, values = [], [], []
    for customer_id, row in zip(ids, rows, strict=True):
        customers.append(unsaved(Customer, id=customer_id, **row.values))
        links.append(
            unsaved(
                CustomerExternalRef,
                customer_id=customer_id,
                source=row.source,
                external_id=row.external_id,
            )
        )
        values.extend(_custom_changes(customer_id, cleaned[row.line], env, {})[1])
    await insert(Customer, customers)
    await insert(CustomerExternalRef, links)
    return values


async def _update(changes: dict[int, dict[str, Any]]) -> None:
    objects = await Customer.filter(id__in=sorted(changes))
    touched: set[str] = {"updated_at"}
    for obj in objects:
        obj.update_from_dict(changes[obj.id])
        obj.updated_at = datetime.now(UTC)
        touched.update(changes[obj.id])
    await Customer.bulk_update(objects, fields=sorted(touched), batch_size=UPDATE_BATCH)


async def run(rows: Sequence[Row], env: Env, tally: Tally) -> None:
    """Upsert one batch of customer rows."""
    found, attributes, custom = await _lookup(rows, env)
    cleaned = {}
    for row in rows:
        customer_id = found.get(row.key)
        stored = attributes.get(customer_id) if customer_id is not None else None
        known = custom.get(customer_id, {}) if customer_id is not None else {}
        cleaned[row.line] = _clean(row, env, stored, known)
    stored_managers = {
        row.line: attributes[found[row.key]]["account_manager_id"] if row.key in found else None
        for row in rows
    }
    await refs.resolve_users(rows, "account_manager", "account_manager_id", keep=stored_managers)
    new = [row for row in rows if row.ok and row.key not in found]
    inserts: list[CustomFieldValue] = []
    deletes: list[int] = []
    changes: dict[int, dict[str, Any]] = {}
    for row in rows:
        customer_id = found.get(row.key)
        if customer_id is None or not row.ok:
            continue
        stored = attributes[customer_id]
        changed = {k: v for k, v in row.values.items() if stored[k] != v}
        removed, added = _custom_changes(customer_id, cleaned[row.line], env, custom[customer_id])
        if changed:
            changes[customer_id] = changed
        if changed or removed or added:
            tally.updated += 1
        else:
            tally.unchanged += 1
        deletes.extend(removed)
        inserts.extend(added)
    if new:
        inserts.extend(await _create(new, cleaned, env))
        tally.created += len(new)
    if changes:
        await _update(changes)
    if deletes:
        await CustomFieldValue.filter(id__in=deletes).delete()
    if inserts:
        await insert(CustomFieldValue, inserts)
    tally.settle(rows)
