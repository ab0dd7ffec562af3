"""Reading DMN 1.1 to 1.5 XML into the model, refusing what is malformed or hostile."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bpmn.dmn.boxed_reader import BoxedReader, local_name
from bpmn.dmn.errors import DmnErrorCode, DmnModelError
from bpmn.dmn.model import (
    BusinessKnowledgeModel,
    Decision,
    DecisionService,
    Definitions,
    Element,
    Import,
    InputData,
    ItemDefinition,
    Ref,
)
from bpmn.errors import BpmnError
from bpmn.xmlsafe import secure_xml

MAX_MODEL_BYTES = 2_000_000

DMN_VERSIONS = {
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd": "1.1",
    "http://www.omg.org/spec/DMN/20180521/MODEL/": "1.2",
    "https://www.omg.org/spec/DMN/20191111/MODEL/": "1.3",
    "https://www.omg.org/spec/DMN/20211108/MODEL/": "1.4",
    "https://www.omg.org/spec/DMN/20230324/MODEL/": "1.5",
}


def read_definitions(data: bytes) -> Definitions:
    """Read one DMN file; raises DmnModelError naming the offending element."""
    try:
        root = secure_xml(data, max_bytes=MAX_MODEL_BYTES)
    except BpmnError as exc:
        raise DmnModelError(str(exc), code=DmnErrorCode.MALFORMED) from None
    return _Reader(root).definitions()


class _Reader(BoxedReader):
    """Walks one definitions element and its DRG elements."""

    def __init__(self, root: Any) -> None:
        tag = root.tag if isinstance(root.tag, str) else ""
        ns = tag[1:].split("}", 1)[0] if tag.startswith("{") else ""
        if local_name(tag) != "definitions" or ns not in DMN_VERSIONS:
            raise DmnModelError(
                f"not a DMN model: root element {tag!r}", root.get("id"), DmnErrorCode.MALFORMED
            )
        self.root = root
        model_ns = root.get("namespace") or ""
        if not model_ns:
            raise DmnModelError("definitions has no namespace", root.get("id"))
        super().__init__(ns, model_ns, dict(root.nsmap))
        self.check_language(root)

    def definitions(self) -> Definitions:
        """The model the definitions element describes."""
        root = self.root
        defs = Definitions(
            namespace=self.model_ns,
            name=root.get("name") or "",
            version=DMN_VERSIONS[self.ns],
            imports=tuple(self._import(node) for node in self.children(root, "import")),
        )
        for node in self.children(root, "itemDefinition"):
            item = self._item_definition(node)
            defs.item_definitions[item.name] = item
        readers: dict[str, Callable[[Any], Element]] = {
            "inputData": self._input_data,
            "decision": self._decision,
            "businessKnowledgeModel": self._bkm,
            "decisionService": self._service,
        }
        for node in self.children(root):
            reader = readers.get(local_name(node.tag))
            if reader is None:
                continue
            element: Element = reader(node)
            if element.id in defs.elements:
                raise DmnModelError("duplicate id", element.id, DmnErrorCode.DUPLICATE)
            defs.elements[element.id] = element
        return defs

    # -- names, references and types -------------------------------------------------

    def ref(self, node: Any) -> Ref:
        """The (namespace, id) an ``href`` names; a bare ``#id`` is in this model."""
        href = self.required(node, "href")
        namespace, _, element_id = href.rpartition("#")
        if not element_id:
            raise DmnModelError(f"bad href {href!r}", self._owner(node))
        return (namespace or self.model_ns, element_id)

    def refs(self, node: Any, requirement: str, name: str) -> tuple[Ref, ...]:
        """The targets of every ``requirement/name`` child of node."""
        return tuple(
            self.ref(target)
            for req in self.children(node, requirement)
            for target in self.children(req, name)
        )

    def variable(self, node: Any) -> tuple[str, str | None]:
        """An element's name and its variable's typeRef."""
        name = self.required(node, "name")
        variable = self.child(node, "variable")
        type_ref = variable.get("typeRef") if variable is not None else None
        return name, self.type_ref(type_ref)

    # -- DRG elements -----------------------------------------------------------------

    def _import(self, node: Any) -> Import:
        return Import(
            name=node.get("name") or "",
            namespace=self.required(node, "namespace"),
            location=node.get("locationURI"),
            import_type=node.get("importType"),
        )

    def _item_definition(self, node: Any) -> ItemDefinition:
        type_text = self.text_of(node, "typeRef")
        allowed = self.child(node, "allowedValues")
        constraint = self.child(node, "typeConstraint")
        function = self.child(node, "functionItem")
        return ItemDefinition(
            name=self.required(node, "name"),
            type_ref=self.type_ref(type_text if type_text is not None else node.get("typeRef")),
            is_collection=node.get("isCollection") == "true",
            allowed_values=None if allowed is None else self.text_of(allowed),
            type_constraint=None if constraint is None else self.text_of(constraint),
            components=tuple(
                self._item_definition(child) for child in self.children(node, "itemComponent")
            ),
            is_function=function is not None,
            function_output=None
            if function is None
            else self.type_ref(function.get("outputTypeRef")),
        )

    def element_id(self, node: Any) -> str:
        """An element's id, or its name when it has none (the id is optional in DMN)."""
        return str(node.get("id") or self.required(node, "name"))

    def _input_data(self, node: Any) -> InputData:
        name, type_ref = self.variable(node)
        return InputData(id=self.element_id(node), name=name, type_ref=type_ref)

    def _decision(self, node: Any) -> Decision:
        name, type_ref = self.variable(node)
        return Decision(
            id=self.element_id(node),
            name=name,
            type_ref=type_ref,
            required_decisions=self.refs(node, "informationRequirement", "requiredDecision"),
            required_inputs=self.refs(node, "informationRequirement", "requiredInput"),
            required_knowledge=self.refs(node, "knowledgeRequirement", "requiredKnowledge"),
            expression=self.expression_in(node),
        )

    def _bkm(self, node: Any) -> BusinessKnowledgeModel:
        name, type_ref = self.variable(node)
        logic = self.child(node, "encapsulatedLogic")
        return BusinessKnowledgeModel(
            id=self.element_id(node),
            name=name,
            type_ref=type_ref,
            logic=None if logic is None else self._function(logic),
            required_knowledge=self.refs(node, "knowledgeRequirement", "requiredKnowledge"),
        )

    def _service(self, node: Any) -> DecisionService:
        name, type_ref = self.variable(node)

        def hrefs(tag: str) -> tuple[Ref, ...]:
            return tuple(self.ref(child) for child in self.children(node, tag))

        return DecisionService(
            id=self.element_id(node),
            name=name,
            type_ref=type_ref,
            outputs=hrefs("outputDecision"),
            encapsulated=hrefs("encapsulatedDecision"),
            input_decisions=hrefs("inputDecision"),
            input_data=hrefs("inputData"),
        )
