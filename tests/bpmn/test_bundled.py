"""The shipped processes on every install: deployed once, upgraded only where still ours."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bpmn import bundled, daily, deployments, runner
from bpmn.bundled import Shipped, Verdict, Version
from bpmn.errors import ProcessNotDeployedError
from domain.access.models import AuditEntry
from domain.daily.models import DailyRun, DailyStepStatus
from domain.errors import ConflictError
from domain.process.models import DefinitionOrigin, ProcessDefinition
from tests import factories
from tests.bpmn.test_waits import _review_waiting
from tests.conftest import TODAY

SHIPPED = [
    "collections",
    "credit_approval",
    "customer_risk_rating",
    "limit_increase",
    "pre_due_reminders",
]
AT = datetime(2026, 6, 1, 8, 30, tzinfo=UTC)


def _shipped(pid: str, digest: str) -> Shipped:
    return Shipped(pid, b"<bpmn/>", (), digest)


def _version(n: int, digest: str, origin: str = "bundled", **retired: object) -> Version:
    return Version(n, digest, origin, "lendgraph migrate" if origin == "bundled" else "ana", AT,
                   **retired)  # type: ignore[arg-type]  # fmt: skip


def _one(items: list[Shipped], stored: dict[str, list[Version]]) -> bundled.Entry:
    [entry] = bundled.plan(items, stored)
    return entry


def test_the_plan_deploys_what_is_missing_or_still_ours_and_changed() -> None:
    new = _one([_shipped("p", "h1")], {})
    assert (new.verdict, new.deploys, new.differs) == (Verdict.NEW, True, True)
    assert (
        new.line()
        == "p: nothing in force; shipped file: differs; not deployed yet; migrate will deploy it"
    )
    same = _one([_shipped("p", "h1")], {"p": [_version(1, "h1")]})
    assert (same.verdict, same.deploys, same.differs) == (Verdict.CURRENT, False, False)
    assert same.line() == (
        "p: v1 (bundled, deployed by lendgraph migrate on 2026-06-01 08:30 UTC) in force; "
        "shipped file: same; up to date"
    )
    update = _one([_shipped("p", "h2")], {"p": [_version(1, "h1")]})
    assert (update.verdict, update.deploys, update.differs) == (Verdict.UPDATE, True, True)
    assert update.action() == "migrate will deploy the shipped update"


def test_the_plan_leaves_the_institutions_version_and_retirement_alone() -> None:
    theirs = _one([_shipped("p", "h3")], {"p": [_version(1, "h1"), _version(2, "h2", "deployed")]})
    assert (theirs.verdict, theirs.deploys) == (Verdict.THEIRS, False)
    assert theirs.action() == "your v2 is in force; the shipped update is not deployed"
    unchanged = _one(
        [_shipped("p", "h1")], {"p": [_version(1, "h1"), _version(2, "h2", "deployed")]}
    )
    assert unchanged.action() == "your v2 is in force; the shipped file is v1, not redeployed"
    # they went back to the bundled v1 after their v2: still their choice, not migrate's
    back = _one([_shipped("p", "h3")], {"p": [
        _version(1, "h1"), _version(2, "h2", "deployed", retired_at=AT, retired_by="ana")]})  # fmt: skip
    assert (back.verdict, back.action()) == (
        Verdict.THEIRS, "v1 is in force after your v2; the shipped update is not deployed"
    )  # fmt: skip
    gone = {"retired_at": datetime(2026, 6, 10, 9, 0, tzinfo=UTC), "retired_by": "ana"}
    retired = _one([_shipped("p", "h2")], {"p": [_version(1, "h1", **gone)]})
    assert (retired.verdict, retired.deploys) == (Verdict.RETIRED, False)
    assert retired.action() == "retired on 2026-06-10 09:00 UTC by ana; not redeployed"
    own = _one([], {"q": [_version(1, "h9", "deployed")]})
    assert (own.verdict, own.deploys, own.differs) == (Verdict.NOT_SHIPPED, False, None)
    assert own.line().endswith("in force; not shipped; your own process")


def _changed_copy(tmp_path: Path) -> Path:
    """The shipped directory as a later release might ship it: risk_rating.dmn changed."""
    copy = tmp_path / "processes"
    shutil.copytree(deployments.BUNDLED, copy)
    table = copy / "risk_rating.dmn"
    text = table.read_text(encoding="utf-8")
    assert "<text>&gt; 30</text>" in text
    table.write_text(text.replace("<text>&gt; 30</text>", "<text>&gt; 45</text>", 1), "utf-8")
    return copy


async def test_a_fresh_database_gets_the_five_once_with_who_and_when(db: str) -> None:
    # when migrate's step runs on an empty database, twice
    first = await bundled.install()
    again = await bundled.install()
    # then the five are deployed once, bundled, by migrate, with an audit entry each
    assert [(e.process_id, e.action()) for e in first] == [(p, "deployed v1") for p in SHIPPED]
    assert [(e.process_id, e.action()) for e in again] == [(p, "up to date") for p in SHIPPED]
    rows = await ProcessDefinition.all().order_by("process_id")
    assert [(r.process_id, r.version, r.origin, r.deployed_by) for r in rows] == [
        (p, 1, "bundled", "lendgraph migrate") for p in SHIPPED
    ]
    assert all(r.deployed_at is not None and r.retired_at is None for r in rows)
    entries = await AuditEntry.filter(action="process.deploy").order_by("id")
    assert [(e.username, e.via, e.object_id) for e in entries] == [
        ("lendgraph migrate", "cli", str(r.id)) for r in rows
    ]
    assert entries[0].after is not None and entries[0].after["origin"] == "bundled"


async def test_a_shipped_update_deploys_while_the_bundled_version_is_in_force(
    db: str, tmp_path: Path
) -> None:
    await bundled.install()
    # when a release ships a changed risk_rating table
    done = {e.process_id: e for e in await bundled.install(_changed_copy(tmp_path))}
    # then the rating process gets v2, bundled, in force; the others stay as they are
    assert done["customer_risk_rating"].action() == "deployed v2 (shipped update)"
    assert {p: e.action() for p, e in done.items() if p != "customer_risk_rating"} == {
        p: "up to date" for p in SHIPPED if p != "customer_risk_rating"
    }
    current = await deployments.in_force("customer_risk_rating")
    assert current is not None and (current.version, current.origin) == (2, "bundled")
    assert "&gt; 45" in current.dmn_xmls[0]


async def test_an_analysts_own_version_stays_in_force_and_status_says_so(
    db: str, tmp_path: Path
) -> None:
    await bundled.install()
    # given an analyst deployed their own rating table since
    mine = (
        (deployments.BUNDLED / "risk_rating.dmn")
        .read_text()
        .replace("<text>&gt; 30</text>", "<text>&gt; 60</text>", 1)
    )
    xml = (deployments.BUNDLED / "customer_risk_rating.bpmn").read_bytes()
    own = await deployments.deploy(xml, [mine.encode()], deployed_by="ana")
    assert (own.definition.version, own.definition.origin) == (2, "deployed")
    # when a release ships its own change to that table
    changed = _changed_copy(tmp_path)
    done = {e.process_id: e for e in await bundled.install(changed)}
    # then theirs stays in force, nothing is deployed, and status says why
    said = "your v2 is in force; the shipped update is not deployed"
    assert done["customer_risk_rating"].action() == said
    assert await ProcessDefinition.filter(process_id="customer_risk_rating").count() == 2
    current = await deployments.in_force("customer_risk_rating")
    assert current is not None and current.id == own.definition.id
    [status] = [e for e in await bundled.status(changed) if e.process_id == "customer_risk_rating"]
    assert status.differs is True and status.line() == (
        f"customer_risk_rating: v2 (deployed, deployed by ana on "
        f"{deployments.when(own.definition.deployed_at)}) in force; shipped file: differs; {said}"
    )


async def test_a_retired_process_stays_retired(db: str, tmp_path: Path) -> None:
    await bundled.install()
    retired = await deployments.retire("customer_risk_rating", retired_by="ana")
    done = {e.process_id: e for e in await bundled.install(_changed_copy(tmp_path))}
    assert done["customer_risk_rating"].action() == (
        f"retired on {deployments.when(retired.at)} by ana; not redeployed"
    )
    assert await ProcessDefinition.filter(process_id="customer_risk_rating").count() == 1
    assert await deployments.in_force("customer_risk_rating") is None


async def test_retiring_stops_new_instances_and_deploying_again_brings_it_back(db: str) -> None:
    await bundled.install()
    running = await _review_waiting()  # credit_approval v1, waiting for a risk officer
    retired = await deployments.retire("credit_approval", retired_by="ana")
    assert [v.retired_by for v in retired.versions] == ["ana"]
    with pytest.raises(ProcessNotDeployedError) as refused:
        await runner.start("credit_approval", {}, business_key="application:2")
    assert refused.value.code == "PROCESS_NOT_DEPLOYED"
    assert refused.value.message == (
        f"process credit_approval was retired on {deployments.when(retired.at)} by ana: deploy "
        "it again in the designer to bring it back (`lendgraph migrate` does not redeploy a "
        "retired process)"
    )
    with pytest.raises(ConflictError, match="already retired"):
        await deployments.retire("credit_approval", retired_by="ana")
    # the instance that ran before goes on
    officer = await factories.user("ro", ["risk_officer"])
    [review] = running.open_tasks
    done = await runner.complete_task(review.id, {"decision": "DECLINED"}, user_id=officer.id)
    assert (done.status, done.version) == ("COMPLETED", 1)
    # deploying the same content again puts v1 back in force
    [(_, xml, dmns)] = [f for f in deployments.bundle_files() if f[0] == "credit_approval"]
    again = await deployments.deploy(xml, dmns, deployed_by="ana")
    assert (again.created, again.definition.version) == (False, 1)
    assert again.definition.retired_at is None
    current = await deployments.in_force("credit_approval")
    assert current is not None and current.id == again.definition.id


async def test_deploying_older_content_again_rolls_back_to_it(db: str) -> None:
    await bundled.install()
    [(_, xml, dmns)] = [f for f in deployments.bundle_files() if f[0] == "customer_risk_rating"]
    newer = dmns[0].replace(b"<text>&gt; 30</text>", b"<text>&gt; 40</text>", 1)
    two = await deployments.deploy(xml, [newer], deployed_by="ana")
    assert (await deployments.in_force("customer_risk_rating")).version == 2  # type: ignore[union-attr]
    back = await deployments.deploy(xml, dmns, deployed_by="ana")
    assert (back.created, back.definition.version, back.withdrawn) == (False, 1, (2,))
    await two.definition.refresh_from_db()
    assert two.definition.retired_by == "ana"
    assert (await deployments.in_force("customer_risk_rating")).version == 1  # type: ignore[union-attr]
    summary = {s.definition.version: s.in_force for s in await deployments.summaries()
               if s.definition.process_id == "customer_risk_rating"}  # fmt: skip
    assert summary == {2: False, 1: True}


async def test_a_daily_run_without_collections_fails_that_step_with_the_reason(db: str) -> None:
    for pid, xml, dmns in deployments.bundle_files():
        if pid != "collections":
            await deployments.deploy(xml, dmns, deployed_by="t", origin=DefinitionOrigin.BUNDLED)
    report = await daily.run(TODAY)
    assert report.done is False and "profiles" in report.steps
    assert report.failed == (
        "collections: ProcessNotDeployedError: process collections is not deployed: "
        "deploy it in the designer or run `lendgraph migrate`"
    )
    row = await DailyRun.get(business_date=TODAY, step="collections")
    assert row.status == DailyStepStatus.FAILED
    assert "process collections is not deployed" in (row.detail or {})["error"]


async def test_a_daily_run_without_the_rating_process_fails_profiles(db: str) -> None:
    await bundled.install()
    await deployments.retire("customer_risk_rating", retired_by="ana")
    report = await daily.run(TODAY)
    assert report.failed is not None and report.failed.startswith(
        "profiles: ProcessNotDeployedError: process customer_risk_rating was retired on "
    )
    assert "by ana" in report.failed


async def test_a_failed_step_stops_only_the_steps_that_need_it(db: str) -> None:
    # given the rating process retired: profiles cannot run today
    await bundled.install()
    await deployments.retire("customer_risk_rating", retired_by="ana")
    # when
    report = await daily.run(TODAY)
    # then what needs profiles waits, and the rest of the date is done
    assert set(report.failures) == {"profiles"}
    assert report.waiting == {
        "profiles_finish": "waits for profiles",
        "collections": "waits for profiles_finish",
        "reminders": "waits for profiles_finish",
        "offers": "waits for profiles_finish",
    }
    assert set(report.steps) == {
        "delinquency",
        "month_ends",
        "month_summaries",
        "profiles_prepare",
        "care",
    }
    statuses = dict(await DailyRun.filter(business_date=TODAY).values_list("step", "status"))
    assert statuses["care"] == DailyStepStatus.DONE and statuses["collections"] is None
    # and once the process is back, the next run does the rest, and nothing twice
    await bundled.install()  # a retired process stays retired: migrate does not bring it back
    assert set((await daily.run(TODAY)).failures) == {"profiles"}
    for pid, xml, dmns in deployments.bundle_files():
        if pid == "customer_risk_rating":
            await deployments.deploy(xml, dmns, deployed_by="ana")
    again = await daily.run(TODAY)
    assert again.done and not again.failures and not again.waiting


async def test_two_migrates_at_once_deploy_each_shipped_process_once(db: str) -> None:
    import asyncio

    # compose's migrate service and an operator's own `lendgraph migrate`, at the same moment
    await asyncio.gather(bundled.install(), bundled.install())
    rows = await ProcessDefinition.all().values_list("process_id", "version")
    assert sorted(rows) == sorted((pid, 1) for pid, _, _ in deployments.bundle_files())
