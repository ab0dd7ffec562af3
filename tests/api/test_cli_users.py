"""`lendgraph create-user`: the first administrator of a new installation, and scripts."""

import os
import subprocess
import sys
from pathlib import Path

from domain.access.models import AuditEntry
from domain.user.models import User
from tests.api.conftest import GraphQLClient

ROOT = Path(__file__).resolve().parents[2]
GOOD = "first admin's secret 1"


def create_user(url: str, *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "COLUMNS": "200", "LENDGRAPH_MODE": "test"}
    env |= {k: v for k, v in os.environ.items() if k.startswith("LENDGRAPH_PASSWORD")}
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "create-user", *args, "--database-url", url],
        cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=120, env=env,
        start_new_session=True,  # no controlling terminal: hidden prompts read stdin
    )  # fmt: skip


def said(run: subprocess.CompletedProcess[str]) -> str:
    return " ".join((run.stdout + run.stderr).split())  # the console wraps long lines


async def test_the_first_administrator_is_created_from_the_command_line(
    anonymous: GraphQLClient, db: str
) -> None:
    # a weak password is refused with the rule, and never echoed
    weak = create_user(db, "boss", "--role", "admin", "--password-stdin", stdin="boss-2026\n")
    assert weak.returncode == 1
    assert "password: must be at least 12 characters" in said(weak)
    assert "password: must not contain the username" in said(weak)
    assert "boss-2026" not in said(weak)
    unknown = create_user(db, "boss", "--role", "king", "--password-stdin", stdin=GOOD + "\n")
    assert unknown.returncode == 1
    assert "unknown role 'king'; known roles: account_manager, admin, analyst" in said(unknown)
    assert not await User.exists(username="boss")
    # a good one creates the account, says so, and prints no secret
    made = create_user(db, "boss", "--role", "admin", "--role", "auditor", "--full-name",
                       "Chief Admin", "--password-stdin", stdin=GOOD + "\n")  # fmt: skip
    assert made.returncode == 0, said(made)
    assert "created user boss" in said(made) and "roles admin, auditor" in said(made)
    assert GOOD not in said(made)
    taken = create_user(db, "boss", "--role", "admin", "--password-stdin", stdin=GOOD + "\n")
    assert taken.returncode == 1 and "the username 'boss' is taken" in said(taken)
    # the new administrator signs in with a full token
    await anonymous.login("boss", GOOD)
    me = await anonymous.data("{ me { username fullName roles mustChangePassword } }")
    assert me["me"] == {"username": "boss", "fullName": "Chief Admin",
                        "roles": ["admin", "auditor"], "mustChangePassword": False}  # fmt: skip
    assert (await anonymous.data("{ users { totalCount } }"))["users"]["totalCount"] == 1
    # audited as done by the command line, without the password or its hash
    entry = await AuditEntry.get(action="user.create")
    assert entry.via == "cli" and entry.username.startswith("cli:") and entry.user_id is None
    assert GOOD not in f"{entry.after}" and "argon2" not in f"{entry.after}"


async def test_the_password_is_asked_twice_hidden(anonymous: GraphQLClient, db: str) -> None:
    differ = create_user(db, "am1", "--role", "account_manager", stdin=f"{GOOD}\nsomething else\n")
    assert differ.returncode == 1 and "the two passwords differ" in said(differ)
    made = create_user(db, "am1", "--role", "account_manager", "--must-change-password",
                       stdin=f"{GOOD}\n{GOOD}\n")  # fmt: skip
    assert made.returncode == 0, said(made)
    assert GOOD not in said(made) and "must be changed at the first sign-in" in said(made)
    signed_in = await anonymous.data(
        """mutation ($p: String!) { login(input: {username: "am1", password: $p}) {
           ... on LoginSuccess { mustChangePassword } } }""",
        p=GOOD,
    )
    assert signed_in["login"] == {"mustChangePassword": True}
