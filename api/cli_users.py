"""`lendgraph create-user`: staff accounts from the command line (the first administrator,
scripts). Registered on the main command by `register`."""

import getpass
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

from api.cli_options import UrlOption
from authz.enforcer import Authorizer
from domain.access.audit import Actor
from domain.access.passwords import PasswordConfigError, PasswordPolicy
from domain.errors import ConflictError, ValidationError
from domain.user import service

Runner = Callable[[str | None, Callable[[], Awaitable[str]]], str]
console = Console(highlight=False)
REFUSED = 1  # a rule refused the account (password, role, username); typer uses 2 for usage


def _actor() -> Actor:
    """The audit actor of this command: the command line, with the operating-system user."""
    try:
        who = getpass.getuser()
    except (OSError, KeyError):
        who = "unknown"
    return Actor(user_id=None, username=f"cli:{who}"[:64], via="cli")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    first = typer.prompt("Password", hide_input=True)
    again = typer.prompt("Repeat the password", hide_input=True)
    if first != again:
        console.print("[red]refused:[/red] the two passwords differ")
        raise typer.Exit(REFUSED)
    return str(first)


def _refuse(exc: ValidationError | ConflictError) -> typer.Exit:
    if isinstance(exc, ValidationError):
        for problem in exc.problems:
            console.print(f"[red]refused:[/red] {problem.field}: {problem.message}")
    else:
        console.print(f"[red]refused:[/red] {exc.message}")
    return typer.Exit(REFUSED)


def register(app: typer.Typer, run: Runner) -> None:
    """Add `create-user` to the command (`run` opens the migrated database around the work)."""

    @app.command("create-user", epilog=_epilog())
    def create_user(
        username: Annotated[str, typer.Argument(help="The sign-in name (2-64 characters).")],
        role: Annotated[
            list[str], typer.Option("--role", help="A role to give (repeat for several).")
        ],
        full_name: Annotated[str, typer.Option(help="How colleagues see them.")] = "",
        branch: Annotated[str | None, typer.Option(help="Their branch.")] = None,
        team: Annotated[str | None, typer.Option(help="Their team.")] = None,
        email: Annotated[str | None, typer.Option(help="Work email address.")] = None,
        password_stdin: Annotated[
            bool,
            typer.Option("--password-stdin", help="Read the password from the first stdin line."),
        ] = False,
        must_change_password: Annotated[
            bool,
            typer.Option(
                "--must-change-password",
                help="Make the password provisional: one sign-in, within the temporary "
                "lifetime, only to change it.",
            ),
        ] = False,
        database_url_: UrlOption = None,
    ) -> None:
        """Create a staff account: the first administrator, or accounts for scripts.

        Without --password-stdin the password is asked twice, hidden. It is never printed, and
        the creation is audited as done by the command line. Exit status: 0 created; 1 refused
        (weak password, unknown role, username taken); 2 usage error or unmigrated database.
        """
        try:
            policy = PasswordPolicy.from_env()
        except PasswordConfigError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
        password = _read_password(password_stdin)

        async def work() -> str:
            authorizer = Authorizer()
            await authorizer.ensure_current()
            details = {"full_name": full_name, "branch": branch, "team": team, "email": email}
            user, _ = await service.create(
                username=username, roles=role, password=password, details=details,
                known_roles=authorizer.known_roles, must_change_password=must_change_password,
                now=datetime.now(UTC), actor=_actor(), policy=policy,
            )  # fmt: skip
            return f"created user {user.username} (id {user.id}; roles {', '.join(user.roles)})"

        try:
            said = run(database_url_, work)
        except (ValidationError, ConflictError) as exc:
            raise _refuse(exc) from exc
        console.print(said)
        if must_change_password:
            console.print("the password must be changed at the first sign-in")


def _epilog() -> str:
    rules = PasswordPolicy().rules()
    return (
        f"Passwords: {rules} (LENDGRAPH_PASSWORD_MIN_LENGTH sets the length, "
        "LENDGRAPH_PASSWORD_BREACHED_FILE a list of breached passwords). Example: "
        "printf '%s\\n' \"$PW\" | lendgraph create-user alice --role admin --password-stdin"
    )
