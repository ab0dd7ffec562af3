"""SpiffWorkflow behind our own types: parser, safe script engine, serializer, runner.

Only this package touches SpiffWorkflow objects; callers get :class:`ParsedBundle`,
:class:`WorkflowHandle` and plain dataclasses/dicts back, from here and nowhere else:

- :mod:`.clock`: the business clock timers read;
- :mod:`.values`: task data as tagged JSON;
- :mod:`.script`: the safe script engine (expressions, scripts, service calls);
- :mod:`.parsing`: untrusted BPMN/DMN files into a :class:`ParsedBundle` (read by
  :mod:`bpmn.xmlsafe`), FEEL expressions marked and FEEL decisions run by :mod:`bpmn.dmn`;
- :mod:`.handle`: a running workflow and what can be read of it;
- :mod:`.state`: new runs, and their state saved and restored;
- :mod:`.running`: engine steps, human tasks, timers, messages, in-memory evaluation;
- :mod:`.migration`: whether an instance can move to a new version;
- :mod:`.decisions`: the decision table a process consists of.

Callers reach these names as ``engine.<name>``, so a test that patches ``engine.evaluate``
patches what they call.
"""

from bpmn.engine.clock import business_clock
from bpmn.engine.decisions import one_table, sole_decision
from bpmn.engine.handle import PendingTimer, ReadyTask, WorkflowHandle
from bpmn.engine.migration import migration_problems
from bpmn.engine.parsing import ParsedBundle, called_decisions, parse
from bpmn.engine.running import (
    complete_human_task,
    deliver_message,
    evaluate,
    finish_human_task,
    fire_timers,
    run_engine_steps,
)
from bpmn.engine.script import SafeScriptEngine, make_engine
from bpmn.engine.state import deserialize, new_workflow, serialize
from bpmn.engine.values import _json_default, _json_untag, plain
from bpmn.xmlsafe import MAX_XML_BYTES, secure_xml

__all__ = [
    "MAX_XML_BYTES",
    "ParsedBundle",
    "PendingTimer",
    "ReadyTask",
    "SafeScriptEngine",
    "WorkflowHandle",
    "_json_default",
    "_json_untag",
    "business_clock",
    "called_decisions",
    "complete_human_task",
    "deliver_message",
    "deserialize",
    "evaluate",
    "finish_human_task",
    "fire_timers",
    "make_engine",
    "migration_problems",
    "new_workflow",
    "one_table",
    "parse",
    "plain",
    "run_engine_steps",
    "secure_xml",
    "serialize",
    "sole_decision",
]
