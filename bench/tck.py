"""Run the public DMN TCK (compliance levels 2 and 3) against bpmn.dmn and print the counts.

Every ``testCase`` of every ``*-test-*.xml`` counts once: it passes when each of its result
nodes matches, fails when one does not, errors when the model is refused, an evaluation
raises, or the case outruns its time bound. Nothing is skipped or special-cased per test.
Numbers compare by value once both are rounded to FEEL's 34 digits (decimal128); an
expected number written to 8 or more places matches the result rounded to as many places, and
one of at most 17 digits (written from a binary double) matches within a relative 1e-12.

    python bench/tck.py [--tck DIR] [--filter PATTERN] [--list-failures] [--timeout S]
"""

from __future__ import annotations

import argparse
import decimal
import fnmatch
import os
import signal
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bpmn import dmn, feel
from bpmn.xmlsafe import secure_xml

DEFAULT_TCK = "/work/shared/dmn-tck/TestCases"
LEVELS = ("compliance-level-2", "compliance-level-3")
TEST_NS = "{http://www.omg.org/spec/DMN/20160719/testcase}"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
DECIMAL128 = decimal.Context(prec=34, rounding=decimal.ROUND_HALF_EVEN)
MAX_TEST_FILE_BYTES = 4_000_000
DOUBLE_DIGITS = 17
DOUBLE_ERROR = Decimal("1E-12")
ROUNDED_PLACES = 8

# The TCK's published results (TestResults/, counted per test case).
PUBLISHED = {
    "compliance-level-2": (
        ("Drools 10.2", 116, 116),
        ("Camunda DMN-Scala 1.9", 113, 116),
        ("Camunda 7.21", 90, 116),
    ),
    "compliance-level-3": (
        ("Drools 10.2", 3272, 3275),
        ("Camunda DMN-Scala 1.9", 2741, 3134),
        ("Camunda 7.21", 2655, 3134),
    ),
}
_TEMPORAL = {
    "xsd:date": "date(s)",
    "xsd:dateTime": "date and time(s)",
    "xsd:time": "time(s)",
    "xsd:duration": "duration(s)",
}


@dataclass
class ResultNode:
    name: str
    expected: Any
    error_result: bool


@dataclass
class TestCase:
    ident: str
    kind: str
    invocable: str | None
    inputs: dict[str, Any]
    imported: dict[str, dict[str, Any]]
    results: list[ResultNode]


@dataclass
class Outcome:
    """The verdict of one test case, with what differed."""

    where: str
    verdict: str  # passed / failed / errored
    details: list[str] = field(default_factory=list)


@dataclass
class LevelReport:
    level: str
    outcomes: list[Outcome] = field(default_factory=list)
    nodes_passed: int = 0
    nodes_by_precision: int = 0
    nodes_total: int = 0
    seconds: float = 0.0

    def count(self, verdict: str) -> int:
        """How many test cases got this verdict."""
        return sum(1 for o in self.outcomes if o.verdict == verdict)


class CaseTimeout(Exception):
    """A test case outran its time bound."""


# -- reading the test files ----------------------------------------------------------------


def parse_value(node: Any) -> Any:
    """A value of a test file: ``value`` (typed by xsi:type), ``component``s or a ``list``."""
    components = node.findall(f"{TEST_NS}component")
    listed = node.find(f"{TEST_NS}list")
    value = node.find(f"{TEST_NS}value")
    if value is not None:
        return _typed(value)
    if listed is not None:
        return _list(listed)
    if components:
        return {c.get("name"): parse_value(c) for c in components}
    if node.get(XSI_NIL) == "true":
        return None
    return None


def _list(node: Any) -> list[Any]:
    return [parse_value(item) for item in node.findall(f"{TEST_NS}item")]


def _typed(node: Any) -> Any:
    if node.get(XSI_NIL) == "true":
        return None
    if node.find(f"{TEST_NS}list") is not None or node.find(f"{TEST_NS}component") is not None:
        return parse_value(node)
    kind = node.get(XSI_TYPE) or "xsd:string"
    text = node.text or ""
    if kind in ("xsd:decimal", "xsd:double", "xsd:int", "xsd:integer", "xsd:long"):
        return Decimal(text.strip())
    if kind == "xsd:boolean":
        return text.strip() == "true"
    if kind in _TEMPORAL:
        return feel.evaluate(_TEMPORAL[kind], {"s": text.strip()})
    return text


def read_cases(path: Path) -> tuple[str, list[TestCase]]:
    """The model file name and the test cases of one test file."""
    root = secure_xml(path.read_bytes(), max_bytes=MAX_TEST_FILE_BYTES)
    model = (root.findtext(f"{TEST_NS}modelName") or "").strip()
    cases = []
    for case in root.findall(f"{TEST_NS}testCase"):
        inputs: dict[str, Any] = {}
        imported: dict[str, dict[str, Any]] = {}
        for node in case.findall(f"{TEST_NS}inputNode"):
            namespace = node.get("namespace")
            target = imported.setdefault(namespace, {}) if namespace else inputs
            target[node.get("name")] = parse_value(node)
        results = [
            ResultNode(
                name=node.get("name"),
                expected=parse_value(node.find(f"{TEST_NS}expected")),
                error_result=node.get("errorResult") == "true",
            )
            for node in case.findall(f"{TEST_NS}resultNode")
        ]
        cases.append(
            TestCase(
                ident=case.get("id") or "?",
                kind=case.get("type") or "decision",
                invocable=case.get("invocableName"),
                inputs=inputs,
                imported=imported,
                results=results,
            )
        )
    return model, cases


# -- comparing ------------------------------------------------------------------------------


def same(expected: Any, actual: Any, exact: bool = False) -> bool:
    """Whether an actual value matches the expected one as the TCK means it (``exact``
    leaves out the precision rules for numbers the TCK wrote rounded)."""
    if expected is None:
        return actual is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, Decimal):
        if not isinstance(actual, Decimal) or not actual.is_finite():
            return False
        if DECIMAL128.plus(expected) == DECIMAL128.plus(actual):
            return True
        return not exact and _rounded_match(expected, actual)
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(same(e, a, exact) for e, a in zip(expected, actual, strict=True))
        )
    if isinstance(expected, dict):
        return (
            isinstance(actual, Mapping)
            and set(actual) == set(expected)
            and all(same(value, actual[key], exact) for key, value in expected.items())
        )
    if isinstance(expected, str):
        return isinstance(actual, str) and expected == actual
    return feel.feel_equal(expected, actual) is True


def _rounded_match(expected: Decimal, actual: Decimal) -> bool:
    """The TCK writes irrational results to 8 places, and results an engine computed in
    binary floating point to at most 17 digits: those match at the precision written."""
    places = -int(expected.as_tuple().exponent)
    if places >= ROUNDED_PLACES:
        try:
            if DECIMAL128.quantize(actual, Decimal(1).scaleb(-places)) == expected:
                return True
        except decimal.InvalidOperation:
            return False
    digits = len(expected.normalize().as_tuple().digits)
    return digits <= DOUBLE_DIGITS and abs(expected - actual) <= abs(expected) * DOUBLE_ERROR


def show(value: Any) -> str:
    """A value as the failure list prints it."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
    return str(value)


# -- running --------------------------------------------------------------------------------


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise CaseTimeout


def run_case(models: dmn.DmnModels, case: TestCase) -> tuple[bool, list[str], int, int]:
    """Evaluate one test case: whether all nodes match, the differences, the nodes matched
    and how many of those matched only by the precision rules."""
    messages: tuple[Any, ...]
    if case.kind == "decisionService":
        outcome = models.invoke_service(case.invocable or "", case.inputs)
        actuals = dict(outcome.results)
        if case.invocable:
            actuals.setdefault(case.invocable, outcome.value)
        messages = outcome.messages
    else:
        names = [node.name for node in case.results]
        actuals, messages = models.evaluate_many(names, case.inputs, case.imported)
    details = []
    matched = loose = 0
    for node in case.results:
        actual = actuals.get(node.name)
        if same(node.expected, actual):
            matched += 1
            loose += not same(node.expected, actual, exact=True)
            continue
        why = "; ".join(f"{m.element_id}: {m.reason}" for m in messages[:3])
        details.append(
            f"{node.name}: expected {show(node.expected)}, got {show(actual)}"
            + (f" ({why})" if why else "")
        )
    return not details, details, matched, loose


def load_folder(folder: Path, model_name: str) -> dmn.DmnModels:
    """The folder's models, the test file's model first (the others may be imported)."""
    main = folder / model_name
    others = sorted(p for p in folder.glob("*.dmn") if p.name != model_name)
    return dmn.load_models([main.read_bytes(), *(p.read_bytes() for p in others)])


def run_level(root: Path, level: str, pattern: str | None, timeout: float) -> LevelReport:
    """Every test case of one compliance level (folders matching ``pattern``, if given)."""
    report = LevelReport(level)
    started = time.monotonic()
    for folder in sorted(p for p in (root / level).iterdir() if p.is_dir()):
        if pattern and not fnmatch.fnmatch(folder.name, f"*{pattern}*"):
            continue
        for test_file in sorted(folder.glob("*-test-*.xml")):
            report.outcomes.extend(_run_file(report, folder, test_file, timeout))
    report.seconds = time.monotonic() - started
    return report


def _run_file(
    report: LevelReport, folder: Path, test_file: Path, timeout: float
) -> Iterator[Outcome]:
    try:
        model_name, cases = read_cases(test_file)
    except Exception as exc:  # an unreadable test file is one error, not a silent gap
        yield Outcome(f"{folder.name}/{test_file.name}", "errored", [f"test file: {exc}"])
        return
    try:
        models: dmn.DmnModels | None = load_folder(folder, model_name)
        refused = ""
    except (dmn.DmnError, OSError) as exc:
        models, refused = None, f"model refused: {exc}"
    for case in cases:
        where = f"{folder.name}/{test_file.name}#{case.ident}"
        report.nodes_total += len(case.results)
        if models is None:
            yield Outcome(where, "errored", [refused])
            continue
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            passed, details, matched, loose = run_case(models, case)
        except CaseTimeout:
            yield Outcome(where, "errored", [f"timed out after {timeout} s"])
            continue
        except Exception as exc:  # a crash is counted, never hidden
            yield Outcome(where, "errored", [f"{type(exc).__name__}: {exc}"])
            continue
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        report.nodes_passed += matched
        report.nodes_by_precision += loose
        yield Outcome(where, "passed" if passed else "failed", details)


def print_report(report: LevelReport, list_failures: bool) -> None:
    """One level's counts beside the published results of other engines."""
    total = len(report.outcomes)
    print(f"== {report.level}: {total} test cases, {report.nodes_total} result nodes")
    print(
        f"   lendgraph   passed {report.count('passed'):>5} / {total:<5}  "
        f"failed {report.count('failed'):>4}  errored {report.count('errored'):>4}  "
        f"skipped 0  (result nodes {report.nodes_passed}/{report.nodes_total}, "
        f"{report.seconds:.1f} s)"
    )
    if report.nodes_by_precision:
        print(
            f"   ({report.nodes_by_precision} result nodes matched a number the TCK wrote "
            "rounded: 8 places, or a binary double within 1e-12)"
        )
    for engine, passed, of in PUBLISHED.get(report.level, ()):
        print(f"   {engine:<24} {passed:>5} / {of}")
    if list_failures:
        for outcome in report.outcomes:
            if outcome.verdict != "passed":
                print(f"   {outcome.verdict.upper()} {outcome.where}")
                for line in outcome.details:
                    print(f"      {line[:400]}")


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tck", default=os.environ.get("LENDGRAPH_DMN_TCK", DEFAULT_TCK))
    parser.add_argument("--filter", default=None, help="run folders whose name contains this")
    parser.add_argument("--list-failures", action="store_true")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per test case")
    parser.add_argument("--level", choices=("2", "3"), default=None)
    args = parser.parse_args(argv)
    root = Path(args.tck)
    if not root.is_dir():
        print(f"no DMN TCK at {root} (set --tck or LENDGRAPH_DMN_TCK)", file=sys.stderr)
        return 2
    levels = [f"compliance-level-{args.level}"] if args.level else list(LEVELS)
    totals = [0, 0]
    for level in levels:
        report = run_level(root, level, args.filter, args.timeout)
        print_report(report, args.list_failures)
        totals[0] += report.count("passed")
        totals[1] += len(report.outcomes)
    print(f"== total: {totals[0]} of {totals[1]} test cases passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
