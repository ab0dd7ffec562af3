"""The GraphQL schema: every feature's queries and mutations, with guards and caches."""

import logging
from collections.abc import Callable

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.tools import merge_types

from api.admin import AdminMutations, AdminQueries
from api.application.mutations import ApplicationMutations
from api.application.queries import ApplicationQueries
from api.auth import AuthMutations, AuthQueries, RequireAuthentication
from api.compiled.execution import CompilingExecutionContext
from api.customer.mutations import CustomerMutations
from api.customer.queries import CustomerQueries
from api.customer.segment_preview import SegmentPreviewMutations, SegmentPreviewQueries
from api.customer.segments import SegmentMutations, SegmentQueries
from api.customer.tag_rules import TagRuleMutations, TagRuleQueries
from api.errors import internal_error, known_error, outage_error, with_code
from api.interaction.mutations import InteractionMutations
from api.loan.mutations import LoanMutations
from api.loan.queries import LoanQueries
from api.outreach.campaigns import CampaignMutations, CampaignQueries
from api.outreach.schema import OutreachMutations, OutreachQueries
from api.outreach.templates import TemplateMutations, TemplateQueries
from api.process.design import DesignMutations, DesignQueries
from api.process.instances import InstanceMutations, InstanceQueries
from api.process.migration import MigrationMutations
from api.process.schema import ProcessMutations, ProcessQueries
from api.process.subscriptions import TaskSubscriptions
from api.process.tasks import TaskMutations, TaskQueries
from api.reports import ReportMutations, ReportQueries
from api.scalars import SCALAR_OVERRIDES
from api.simulation.mutations import SimulationMutations
from api.simulation.queries import SimulationQueries
from api.simulation.subscriptions import SimulationSubscriptions
from api.staff.mutations import StaffMutations
from api.staff.password import PasswordMutations
from api.staff.queries import StaffQueries
from api.system.daily import DailyRunQueries
from api.system.imports import ImportMutations
from api.system.products import ProductMutations
from api.system.schema import SystemMutations, SystemQueries
from domain import pgclient

log = logging.getLogger("lendgraph.api")

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 4000

# Built once: the limiters make a new rule class per instance, which defeats the
# validation cache when extensions are created per request.
STATIC_RULES = [
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
]

Query = merge_types(
    "Query",
    (
        AuthQueries,
        CustomerQueries,
        SegmentQueries,
        SegmentPreviewQueries,
        LoanQueries,
        ApplicationQueries,
        SystemQueries,
        DailyRunQueries,
        AdminQueries,
        StaffQueries,
        ProcessQueries,
        InstanceQueries,
        DesignQueries,
        SimulationQueries,
        OutreachQueries,
        CampaignQueries,
        TemplateQueries,
        TagRuleQueries,
        ReportQueries,
        TaskQueries,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        AuthMutations,
        CustomerMutations,
        SegmentMutations,
        SegmentPreviewMutations,
        TagRuleMutations,
        CampaignMutations,
        TemplateMutations,
        ReportMutations,
        LoanMutations,
        ApplicationMutations,
        InteractionMutations,
        SystemMutations,
        ProductMutations,
        ImportMutations,
        AdminMutations,
        StaffMutations,
        PasswordMutations,
        ProcessMutations,
        InstanceMutations,
        MigrationMutations,
        DesignMutations,
        SimulationMutations,
        OutreachMutations,
        TaskMutations,
    ),
)


class ClientSafeErrors(MaskErrors):
    """Domain and client errors keep their message and gain a code; the rest are masked."""

    def __init__(self, *, debug: bool) -> None:
        super().__init__(should_mask_error=self._should_mask)
        self.debug = debug

    def _should_mask(self, error: GraphQLError) -> bool:
        original = error.original_error
        if original is None or isinstance(original, GraphQLError) or error.path is None:
            return False  # syntax, validation, variable values: they describe the request
        if pgclient.unavailable(original) is not None:
            return False  # coded by outage_error
        return known_error(original) is None and not self.debug

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return internal_error(
            error.original_error, f"at {error.path}", nodes=error.nodes, source=error.source,
            positions=error.positions, path=error.path,
        )  # fmt: skip

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [outage_error(e) or with_code(e) for e in super()._process_errors(errors)]


Subscription = merge_types("Subscription", (TaskSubscriptions, SimulationSubscriptions))


def build_schema(*, debug: bool = False, introspection: bool = True) -> strawberry.Schema:
    """The schema with its guards; `debug` shows unexpected errors instead of masking them."""
    # Factories, so each request gets fresh extension state; the caches are module-level.
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
        lambda: AddValidationRules(STATIC_RULES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: ClientSafeErrors(debug=debug),
        RequireAuthentication,
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(
        query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions,
        scalar_overrides=SCALAR_OVERRIDES, execution_context_class=CompilingExecutionContext,
    )  # fmt: skip


schema = build_schema()
