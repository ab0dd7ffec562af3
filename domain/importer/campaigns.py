"""Importing campaign responses; a campaign named for the first time can be created on the way."""

from collections.abc import Sequence
from datetime import date, datetime

from domain.campaign.models import Campaign, CampaignResponse
from domain.clock.service import local_date
from domain.enums import Channel
from domain.importer import records, refs, values
from domain.importer.rows import Env, Key, Row, Tally

COLUMNS = frozenset(
    {"source", "external_id", "customer_external_id", "customer_source", "campaign_code",
     "campaign_name", "channel", "campaign_starts_on", "sent_at", "opened_at", "clicked_at",
     "converted_at"}
)  # fmt: skip
FIELDS = ("campaign_id", "customer_id", "sent_at", "opened_at", "clicked_at", "converted_at")
_STAGES = (("opened_at", "sent_at"), ("clicked_at", "opened_at"), ("converted_at", "clicked_at"))


def _parse(row: Row) -> None:
    out = row.values
    times: dict[str, datetime | None] = {}
    for column in ("sent_at", "opened_at", "clicked_at", "converted_at"):
        times[column] = out[column] = values.moment(row, column, required=column == "sent_at")
    for stage, before in _STAGES:
        moment, earlier = times[stage], times[before]
        if moment is None:
            continue
        if earlier is None:
            if not row.given(before):
                row.add(stage, f"needs {before}")
        elif moment < earlier:
            row.add(stage, f"must not be before {before}")


def _definition(row: Row) -> tuple[str, Channel, date] | None:
    """The campaign a row defines with campaign_name and channel, if it does."""
    name = values.text(row, "campaign_name", max_len=200)
    channel = values.choice(row, "channel", Channel)
    starts_on = values.day(row, "campaign_starts_on")
    sent_at = row.values.get("sent_at")
    if name is None or channel is None or not row.ok:
        return None
    if starts_on is None and sent_at is not None:
        starts_on = local_date(sent_at)
    return None if starts_on is None else (name, channel, starts_on)


async def _resolve_campaigns(rows: Sequence[Row]) -> None:
    codes = {row.line: values.text(row, "campaign_code", max_len=64, required=True) for row in rows}
    known = await refs.campaigns_by_code({code for code in codes.values() if code})
    for row in rows:  # in file order: a campaign defined by one row serves the rows after it
        code = codes[row.line]
        if code is None:
            continue
        if code not in known:
            definition = _definition(row)
            if definition is None:
                if row.ok:
                    row.add(
                        "campaign_code",
                        f"no campaign '{code}' (give campaign_name and channel to create it)",
                    )
                continue
            name, channel, starts_on = definition
            created = await Campaign.create(
                code=code, name=name, channel=channel, starts_on=starts_on
            )
            known[code] = created.id
        row.values["campaign_id"] = known[code]


async def _check_one_per_customer(rows: Sequence[Row]) -> None:
    good = [row for row in rows if row.ok]
    if not good:
        return
    query = CampaignResponse.filter(
        campaign_id__in=sorted({row.values["campaign_id"] for row in good}),
        customer_id__in=sorted({row.values["customer_id"] for row in good}),
    ).values_list("campaign_id", "customer_id", "source", "external_id")
    owners: dict[tuple[int, int], Key] = {
        (int(c), int(u)): (str(s), str(e)) for c, u, s, e in await query
    }
    for row in good:
        pair = (row.values["campaign_id"], row.values["customer_id"])
        owner = owners.setdefault(pair, row.key)
        if owner != row.key:
            row.add(
                "customer_external_id",
                f"already has a response to campaign '{row.data['campaign_code']}' "
                f"(external_id '{owner[1]}', source '{owner[0]}')",
            )


async def run(rows: Sequence[Row], env: Env, tally: Tally) -> None:
    """Upsert one batch of campaign response rows."""
    for row in rows:
        _parse(row)
    await refs.resolve_customers(rows)
    await _resolve_campaigns(rows)
    await _check_one_per_customer(rows)
    good = [row for row in rows if row.ok]
    existing = await records.load_existing(CampaignResponse, good, FIELDS)
    await records.write(CampaignResponse, FIELDS, rows, existing, tally)
