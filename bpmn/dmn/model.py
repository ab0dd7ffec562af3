"""The DMN model as read from XML: the DRG elements and their boxed expressions."""

from __future__ import annotations

from dataclasses import dataclass, field

# An element is referred to by its model's namespace and its id.
Ref = tuple[str, str]


@dataclass(frozen=True, slots=True)
class LiteralExpression:
    """FEEL text; empty text evaluates to null."""

    id: str
    text: str
    type_ref: str | None = None


@dataclass(frozen=True, slots=True)
class InputClause:
    """A decision table input: its FEEL expression and the values it may take."""

    id: str
    text: str
    type_ref: str | None
    input_values: str | None


@dataclass(frozen=True, slots=True)
class OutputClause:
    """A decision table output: its name, type, allowed values and default entry."""

    id: str
    name: str | None
    type_ref: str | None
    output_values: str | None
    default: str | None


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of a decision table: unary tests per input, expressions per output."""

    id: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    annotations: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DecisionTable:
    """A decision table with its hit policy and (for COLLECT) aggregation."""

    id: str
    hit_policy: str
    aggregation: str | None
    inputs: tuple[InputClause, ...]
    outputs: tuple[OutputClause, ...]
    rules: tuple[Rule, ...]
    type_ref: str | None = None


@dataclass(frozen=True, slots=True)
class ContextEntry:
    """A context entry; without a name it is the context's final result."""

    name: str | None
    type_ref: str | None
    expression: Expression | None


@dataclass(frozen=True, slots=True)
class BoxedContext:
    """A boxed context: entries evaluated in order, each visible to the next."""

    id: str
    entries: tuple[ContextEntry, ...]
    type_ref: str | None = None


@dataclass(frozen=True, slots=True)
class Binding:
    """An invocation's argument: a parameter name and its expression (None is null)."""

    name: str
    expression: Expression | None


@dataclass(frozen=True, slots=True)
class Invocation:
    """A call of a named function (a BKM, a decision service) with named bindings."""

    id: str
    callee: str
    bindings: tuple[Binding, ...]
    type_ref: str | None = None


@dataclass(frozen=True, slots=True)
class Relation:
    """A table of rows, each a context with the relation's columns."""

    id: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Expression | None, ...], ...]
    type_ref: str | None = None


@dataclass(frozen=True, slots=True)
class ListExpression:
    """A list whose items are boxed expressions."""

    id: str
    items: tuple[Expression | None, ...]
    type_ref: str | None = None


@dataclass(frozen=True, slots=True)
class Parameter:
    """A formal parameter of a function definition or BKM."""

    name: str
    type_ref: str | None


@dataclass(frozen=True, slots=True)
class FunctionDefinition:
    """A function: FEEL bodies are supported, Java and PMML kinds are refused."""

    id: str
    kind: str
    params: tuple[Parameter, ...]
    body: Expression | None
    type_ref: str | None = None


@dataclass(frozen=True, slots=True)
class Conditional:
    """if/then/else of DMN 1.4: the else branch unless the condition is true."""

    id: str
    condition: Expression | None
    then: Expression | None
    otherwise: Expression | None
    type_ref: str | None = None


@dataclass(frozen=True, slots=True)
class Filter:
    """The items of a list for which the match expression is true (``item`` is the item)."""

    id: str
    source: Expression | None
    match: Expression | None
    type_ref: str | None = None


@dataclass(frozen=True, slots=True)
class Iteration:
    """for / some / every over a list, with the iterator variable in scope."""

    id: str
    kind: str
    variable: str
    source: Expression | None
    body: Expression | None
    type_ref: str | None = None


Expression = (
    LiteralExpression
    | DecisionTable
    | BoxedContext
    | Invocation
    | Relation
    | ListExpression
    | FunctionDefinition
    | Conditional
    | Filter
    | Iteration
)


@dataclass(frozen=True, slots=True)
class ItemDefinition:
    """A named type: a base type, a structure of components, a collection, allowed values."""

    name: str
    type_ref: str | None
    is_collection: bool = False
    allowed_values: str | None = None
    type_constraint: str | None = None
    components: tuple[ItemDefinition, ...] = ()
    is_function: bool = False
    function_output: str | None = None


@dataclass(frozen=True, slots=True)
class InputData:
    """A value given from outside the model."""

    id: str
    name: str
    type_ref: str | None


@dataclass(frozen=True, slots=True)
class Decision:
    """A decision: its requirements and its decision logic."""

    id: str
    name: str
    type_ref: str | None
    required_decisions: tuple[Ref, ...]
    required_inputs: tuple[Ref, ...]
    required_knowledge: tuple[Ref, ...]
    expression: Expression | None


@dataclass(frozen=True, slots=True)
class BusinessKnowledgeModel:
    """A reusable function (its encapsulated logic) invoked by decisions and other BKMs."""

    id: str
    name: str
    type_ref: str | None
    logic: FunctionDefinition | None
    required_knowledge: tuple[Ref, ...]


@dataclass(frozen=True, slots=True)
class DecisionService:
    """Output decisions evaluated from the given input data and input decisions."""

    id: str
    name: str
    type_ref: str | None
    outputs: tuple[Ref, ...]
    encapsulated: tuple[Ref, ...]
    input_decisions: tuple[Ref, ...]
    input_data: tuple[Ref, ...]


Element = InputData | Decision | BusinessKnowledgeModel | DecisionService


@dataclass(frozen=True, slots=True)
class Import:
    """Another model this one uses, under a name that prefixes its elements."""

    name: str
    namespace: str
    location: str | None
    import_type: str | None = None


@dataclass(slots=True)
class Definitions:
    """One DMN file: its namespace, imports, item definitions and DRG elements."""

    namespace: str
    name: str
    version: str
    imports: tuple[Import, ...] = ()
    item_definitions: dict[str, ItemDefinition] = field(default_factory=dict)
    elements: dict[str, Element] = field(default_factory=dict)

    def by_name(self, name: str) -> Element | None:
        """The DRG element with this name (or id), if any."""
        for element in self.elements.values():
            if element.name == name:
                return element
        return self.elements.get(name)
