"""The shipped risk-rating diagram and table, and analysts' edits of them, for the rating tests."""

from __future__ import annotations

from bpmn.deployments import BUNDLED

BPMN = (BUNDLED / "customer_risk_rating.bpmn").read_bytes()
DMN = (BUNDLED / "risk_rating.dmn").read_bytes()


def edited(*swaps: tuple[str, str]) -> bytes:
    """The shipped table with cells' texts swapped (each old text must be there)."""
    text = DMN.decode("utf-8")
    for old, new in swaps:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text.encode("utf-8")


# <, <=, ==, !=, ranges, lists, not, '-', a quoted '?': every cell still compares with constants
READABLE = edited(
    ("<text>&gt; 0</text>", "<text>&gt;= 1</text>"),  # rule_high_now
    ("<text>&gt; 60</text>", '<text>not ? &lt;= 60 or ? in (45, 50.5, "x", None)</text>'),
    (
        '<text>&gt; 30</text>\n        </inputEntry>\n        <inputEntry id="rule_high_history_d',
        '<text>45</text>\n        </inputEntry>\n        <inputEntry id="rule_high_history_d',
    ),
    (
        "<text>? is None or ? &lt; 700</text>",
        '<text>? is None or (600 &lt;= ? &lt; 700 and ? != "?") or ? == 750.5</text>',
    ),
    (
        "<text>? is not None and ? &gt; 0.35</text>",
        "<text>? is not None and (0.35 &lt; ? and not ? == 0.4)</text>",
    ),
    (
        '<inputEntry id="rule_low_current_dpd">\n          <text></text>',
        '<inputEntry id="rule_low_current_dpd">\n          <text>-</text>',
    ),
)
READABLE_CUTS = {
    "current_dpd": (1, 30),
    "worst_dpd_12m": (0, 45, 50.5, 60),
    "bureau_score": (600, 700, 750.5),
    "debt_to_income": (0.35, 0.4, 0.5),
}

# each one a cell or output the analysis cannot read: the table then runs per combination
UNREADABLE = {
    "function": edited(("? is not None and ? &lt; 600", "? is not None and min(?, 900) &lt; 600")),
    "arithmetic": edited(("? is not None and ? &gt; 0.5", "? is not None and ? * 100 &gt; 50")),
    "another input": edited(("<text>&gt; 60</text>", "<text>&gt; current_dpd + 30</text>")),
    "input expression": edited(("<text>current_dpd</text>", "<text>max(current_dpd, 0)</text>")),
    "output reads data": edited(
        ('"bureau score below 600"', '"bureau score below 600: " + str(bureau_score)')
    ),
}

# a script after the table: each customer's reason names their own score
SCRIPTED = (
    BPMN.decode("utf-8")
    .replace(
        '<bpmn:sequenceFlow id="flow_2" sourceRef="rate" targetRef="end" />',
        '<bpmn:sequenceFlow id="flow_2" sourceRef="rate" targetRef="note" />'
        '<bpmn:scriptTask id="note" name="Note the score"><bpmn:incoming>flow_2</bpmn:incoming>'
        "<bpmn:outgoing>flow_3</bpmn:outgoing><bpmn:script>"
        'reason = reason + " (score " + str(bureau_score) + ")"</bpmn:script></bpmn:scriptTask>'
        '<bpmn:sequenceFlow id="flow_3" sourceRef="note" targetRef="end" />',
    )
    .replace(
        '<bpmn:endEvent id="end" name="Rated"><bpmn:incoming>flow_2</bpmn:incoming>',
        '<bpmn:endEvent id="end" name="Rated"><bpmn:incoming>flow_3</bpmn:incoming>',
    )
    .encode("utf-8")
)
