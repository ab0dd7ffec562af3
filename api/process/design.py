"""What the designer asks before deploying: the operations, the problems, a dry run."""

from enum import Enum
from typing import Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON

from api.access import require_read
from api.context import Info
from api.errors import UserErrors, returns_user_errors
from api.process.schema import DeployProcessInput
from authz.actions import ROLES
from bpmn import dryrun, engine, registry, validation
from domain.errors import ValidationError as DomainValidationError


@strawberry.type(description="A parameter of a service operation.")
class OperationParam:
    name: str
    type: str
    required: bool


@strawberry.type(description="A domain operation a service task may call.")
class ServiceOperation:
    name: str
    description: str
    params: list[OperationParam]
    example: JSON = strawberry.field(description="A typical result; dry runs answer with it.")


@strawberry.type(description="Why a draft cannot deploy, on which element.")
class ProcessProblem:
    element_id: str | None
    reason: str
    line: int | None = strawberry.field(
        default=None,
        description="Line of a syntax error inside the element's expression (1-based).",
    )
    column: int | None = strawberry.field(
        default=None, description="Column of a syntax error inside that line (1-based)."
    )


@strawberry.enum(description="The language a diagram file's expressions are written in.")
class ExpressionLanguage(Enum):
    FEEL = "FEEL"
    LENDGRAPH = strawberry.enum_value("LENDGRAPH", description="lendgraph's own expressions.")
    MIXED = strawberry.enum_value(
        "MIXED", description="A BPMN file with some expressions marked '=' (FEEL), others not."
    )


@strawberry.type(description="Which language a file of a draft is read in.")
class DiagramLanguage:
    file: str = strawberry.field(description='"bpmn", or "dmn[i]" for the i-th DMN file.')
    language: ExpressionLanguage


@strawberry.input(description="A draft to run in memory with sample data.")
class DryRunInput:
    bpmn_xml: str
    dmn_xmls: list[str] = strawberry.field(default_factory=list)
    process_id: str | None = None
    data: JSON = strawberry.field(default_factory=dict, description="The start data.")
    service_answers: JSON | None = strawberry.field(
        default=None, description="Results by operation name (default: each one's example)."
    )
    task_answers: JSON | None = strawberry.field(
        default=None, description="Form data by user-task element id; unanswered tasks stop it."
    )


@strawberry.type(description="The path a draft took with the sample data; nothing was stored.")
class DryRunResult:
    process_id: str
    status: str = strawberry.field(description="COMPLETED, WAITING or FAILED.")
    path: list[str] = strawberry.field(description="Element ids in the order they ran.")
    waiting_at: list[str]
    service_calls: JSON
    error: str | None
    error_element: str | None
    data: JSON


DryRunProcessResult = Annotated[DryRunResult | UserErrors, strawberry.union("DryRunProcessResult")]


def _object(value: object, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DomainValidationError.single(field, "must be an object")
    return cast(dict[str, Any], value)


@strawberry.type
class DesignQueries:
    @strawberry.field(description="The operations service tasks may call, with their parameters.")
    def service_operations(self, info: Info) -> list[ServiceOperation]:
        require_read(info, "process")
        return [
            ServiceOperation(
                name=op.name, description=op.description,
                params=[OperationParam(name=p.name, type=p.type, required=p.required)
                        for p in op.params],
                example=cast(JSON, dict(op.example)),
            )
            for op in registry.OPERATIONS.values()
        ]  # fmt: skip

    @strawberry.field(description="Roles a user task may be offered to.")
    def task_roles(self, info: Info) -> list[str]:
        require_read(info, "process")
        return list(ROLES)

    @strawberry.field(description="The deploy checks on a draft, without deploying it.")
    def check_process(self, info: Info, input: DeployProcessInput) -> list[ProcessProblem]:
        require_read(info, "process")
        problems = validation.check(
            input.bpmn_xml.encode("utf-8"), [d.encode("utf-8") for d in input.dmn_xmls]
        )
        return [
            ProcessProblem(element_id=p.element_id, reason=p.reason, line=p.line, column=p.column)
            for p in problems
        ]

    @strawberry.field(description="The expression language each file of a draft is read in.")
    def process_languages(self, info: Info, input: DeployProcessInput) -> list[DiagramLanguage]:
        require_read(info, "process")
        found = validation.expression_languages(
            input.bpmn_xml.encode("utf-8"), [d.encode("utf-8") for d in input.dmn_xmls]
        )
        return [DiagramLanguage(file=f, language=ExpressionLanguage(lang)) for f, lang in found]


@strawberry.type
class DesignMutations:
    @strawberry.mutation(description="Run a draft in memory with sample data: the path it takes.")
    @returns_user_errors
    async def dry_run_process(self, info: Info, input: DryRunInput) -> DryRunProcessResult:
        require_read(info, "process")
        answers = _object(input.task_answers, "taskAnswers")
        for element, values in answers.items():
            _object(values, f"taskAnswers.{element}")
        result = dryrun.dry_run(
            input.bpmn_xml.encode("utf-8"), [d.encode("utf-8") for d in input.dmn_xmls],
            _object(input.data, "data"), process_id=input.process_id,
            service_answers=_object(input.service_answers, "serviceAnswers"),
            task_answers=answers,
        )  # fmt: skip
        plain = engine.plain({"calls": result.service_calls, "data": result.data})
        return DryRunResult(
            process_id=result.process_id, status=result.status, path=result.path,
            waiting_at=result.waiting_at, service_calls=plain["calls"], error=result.error,
            error_element=result.error_element, data=plain["data"],
        )  # fmt: skip
