"""The committed migrations describe exactly the models: no change is left unmigrated."""

from tortoise import Tortoise
from tortoise.migrations.autodetector import MigrationAutodetector

from domain.db import APP, tortoise_config


async def test_models_and_migrations_agree(orm: str) -> None:
    config = tortoise_config(orm)["apps"]
    detector = MigrationAutodetector({APP: Tortoise.apps[APP]}, {APP: config[APP]})
    pending = await detector.changes()
    assert not pending, "run `tortoise -c domain.db.TORTOISE_ORM makemigrations`: " + ", ".join(
        str(op) for writer in pending for op in writer.operations
    )


def test_model_docstrings_have_no_semicolons() -> None:
    # Tortoise writes a model's docstring into a SQL comment and splits scripts at ';'
    offenders = [
        f"{app}.{name}" for app, models in Tortoise.apps.items() for name, model in models.items()
        if ";" in (model.__doc__ or "")
    ]  # fmt: skip
    assert offenders == []
