"""A small async Casbin adapter over the Tortoise policy store (domain.access.policy).

Every write also bumps the policy version, so other processes reload. Unlike
casbin-tortoise-adapter, removing filtered rules respects the ptype.
"""

from typing import Any

from casbin.persist.adapters.asyncio import AsyncAdapter

from domain.access import policy


class TortoiseAdapter(AsyncAdapter):  # type: ignore[misc]
    """Loads and saves Casbin rules in the casbin_rule table."""

    async def load_policy(self, model: Any) -> None:
        """Load every stored rule into a Casbin model."""
        for ptype, values in await policy.load_rules():
            sec = ptype[0]
            if sec in model.model and ptype in model.model[sec]:
                model.add_policy(sec, ptype, list(values))

    async def save_policy(self, model: Any) -> bool:
        """Replace the stored rules with the model's."""
        rules: list[policy.Rule] = []
        for sec in ("p", "g"):
            for ptype, assertion in model.model.get(sec, {}).items():
                rules.extend((ptype, tuple(rule)) for rule in assertion.policy)
        await policy.replace_rules(rules)
        return True

    async def add_policy(self, sec: str, ptype: str, rule: list[str]) -> bool:
        """Store one rule."""
        return await policy.add_rule(ptype, rule)

    async def remove_policy(self, sec: str, ptype: str, rule: list[str]) -> bool:
        """Delete one rule."""
        return await policy.remove_rule(ptype, rule)

    async def remove_filtered_policy(
        self, sec: str, ptype: str, field_index: int, *field_values: str
    ) -> bool:
        """Delete the rules of this ptype whose fields from field_index match (empty = any)."""
        return await policy.remove_matching(ptype, field_index, field_values) > 0
