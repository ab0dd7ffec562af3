"""docker-compose.yml and the Dockerfile, read as the operator's machine would run them.

No Docker engine runs here, so these check what the files say against what the project has:
every command they start exists, every setting they pass is documented, and the package the
image installs carries the shipped processes, policy and schema.
"""

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import yaml
from typer.testing import CliRunner

from api.cli import app

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _documented() -> set[str]:
    table = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"`(LENDGRAPH_[A-Z0-9_]+|DATABASE_URL)`", table)) | {
        f"LENDGRAPH_SMTP{suffix}" for suffix in re.findall(r"`(_[A-Z]+)`", table)
    }


def test_every_service_runs_a_lendgraph_command_that_exists() -> None:
    runner = CliRunner()
    commands = [s["command"] for s in COMPOSE["services"].values() if "command" in s]
    assert commands, "no service runs lendgraph"
    for command in commands:
        assert command[0] == "lendgraph", command
        answer = runner.invoke(app, [*command[1:], "--help"])
        assert answer.exit_code == 0, (command, answer.output)


def test_compose_orders_migrate_before_the_api_and_the_workers() -> None:
    services = COMPOSE["services"]
    assert services["migrate"]["command"] == ["lendgraph", "migrate"]
    for name in ("api", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )


def test_every_setting_compose_and_going_live_name_is_documented() -> None:
    documented = _documented()
    named = {
        key for service in COMPOSE["services"].values()
        for key in (service.get("environment") or {})
        if key.startswith(("LENDGRAPH_", "DATABASE_URL"))
    }  # fmt: skip
    going_live = README.split("## Going live", 1)[1].split("\n## ", 1)[0]
    named |= set(re.findall(r"^(LENDGRAPH_[A-Z0-9_]+)=", going_live, re.M))
    assert named - documented == set()


def test_the_installed_package_carries_processes_policy_and_schema(tmp_path: Path) -> None:
    # the Dockerfile copies these and runs `pip install .`: build the same wheel from a copy
    # (a build in the work tree would leave build/ behind) and look inside
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "api", "domain", "authz", "bpmn"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy
        copy(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), "."],
        cwd=source, check=True, timeout=300,
    )  # fmt: skip
    wheel = next(tmp_path.glob("lendgraph-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"bpmn/processes/{p.name}" for p in (ROOT / "bpmn" / "processes").iterdir()
               if p.suffix in (".bpmn", ".dmn")}  # fmt: skip
    assert shipped and shipped <= names
    assert {"authz/policy.csv", "authz/model.conf", "api/schema.graphql"} <= names
    migrations = {
        f"domain/migrations/{p.name}" for p in (ROOT / "domain" / "migrations").glob("0*.py")
    }
    assert migrations <= names


def test_a_bad_password_setting_stops_the_server_at_start(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "DATABASE_URL": f"sqlite://{tmp_path / 'l.db'}",
           "LENDGRAPH_PASSWORD_BREACHED_FILE": str(tmp_path / "not-mounted.txt")}  # fmt: skip
    lendgraph = [sys.executable, "-m", "api.cli"]
    subprocess.run([*lendgraph, "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    served = subprocess.run(
        [*lendgraph, "serve", "--port", "1"], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert served.returncode == 2, served.stdout + served.stderr
    assert "LENDGRAPH_PASSWORD_BREACHED_FILE" in served.stdout
