"""XPath regular expressions (``matches``, ``replace``, ``split``) run with a time budget.

Python's ``re`` backtracks and cannot be interrupted, so patterns run in a kept child
process; one that outlives the budget is killed and the call is refused with FeelLimitError.
"""

from __future__ import annotations

import json
import re
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bpmn.feel.errors import MAX_REGEX_INPUT, MAX_REGEX_PATTERN, FeelError, FeelLimitError

REGEX_SECONDS = 0.5
_WORKER = Path(__file__).with_name("regex_worker.py")
_FLAG_BITS = {"i": re.IGNORECASE, "s": re.DOTALL, "m": re.MULTILINE}
_BLOCK = re.compile(r"\\p\{Is([A-Za-z0-9\-]+)\}")
_BLOCKS = {"BasicLatin": "\\x00-\\x7F", "Latin-1Supplement": "\\x80-\\xFF"}
_CATEGORIES = {"L": r"^\W\d_", "N": r"\d", "Nd": r"\d", "Lu": "A-Z", "Ll": "a-z"}


def translate(pattern: str, flags: str) -> tuple[str, int]:
    """An XPath pattern and flags as a Python pattern and flags; FeelError when invalid."""
    if len(pattern) > MAX_REGEX_PATTERN:
        raise FeelLimitError("regular expression too long")
    if any(flag not in "ismxq" for flag in flags):
        raise FeelError(f"unknown regular expression flags {flags!r}")
    bits = 0
    for flag in flags:
        bits |= _FLAG_BITS.get(flag, 0)
    if "q" in flags:
        return re.escape(pattern), bits
    if "x" in flags:
        pattern = _strip_blanks(pattern)
    converted = _convert(pattern)
    return (converted if "s" in flags else _dots(converted)), bits


def _strip_blanks(pattern: str) -> str:
    """Flag x: blanks go, except inside character classes."""
    out: list[str] = []
    depth = 0
    for char in pattern:
        depth += char == "[" and (not out or out[-1] != "\\")
        depth -= char == "]" and depth > 0 and (not out or out[-1] != "\\")
        if depth or char not in " \t\n\r":
            out.append(char)
    return "".join(out)


def _dots(pattern: str) -> str:
    """XPath's '.' matches neither newline nor carriage return (Python's only skips '\\n')."""
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        out.append("[^\\n\\r]" if char == "." and not in_class else char)
        index += 1
    return "".join(out)


def _convert(pattern: str) -> str:
    """XPath syntax Python reads differently: class subtraction, \\p{..} blocks, refs."""
    pattern = _BLOCK.sub(lambda m: f"[{_block(m.group(1))}]", pattern)
    pattern = re.sub(r"\\p\{(\w+)\}", lambda m: "[" + _category(m.group(1)) + "]", pattern)
    pattern = re.sub(
        r"\[([^\[\]]*)-\[([^\[\]]*)\]\]", lambda m: f"(?![{m.group(2)}])[{m.group(1)}]", pattern
    )
    if re.search(r"\[[^\]]*\\\d", pattern):
        raise FeelError("a back-reference may not appear in a character class")
    groups = len(re.findall(r"(?<!\\)\((?!\?)", pattern))
    for ref in re.findall(r"\\(\d+)", pattern):
        if int(ref) > groups or int(ref) == 0:
            raise FeelError("a back-reference names a group that does not exist")
    return pattern


def _category(name: str) -> str:
    found = _CATEGORIES.get(name)
    if found is None:
        raise FeelError(f"unknown category {name!r}")
    return found


def _block(name: str) -> str:
    found = _BLOCKS.get("".join(name.split()))
    if found is None:
        raise FeelError(f"unknown block {name!r}")
    return found


def replacement_template(text: str) -> str:
    """An XPath replacement (``$1``, ``\\$``, ``\\\\``) as a Python ``re.sub`` template."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            following = text[index + 1 : index + 2]
            if following not in ("\\", "$"):
                raise FeelError("a backslash in a replacement must escape '\\' or '$'")
            out.append("\\\\" if following == "\\" else "$")
            index += 2
        elif char == "$":
            digits = re.match(r"\d+", text[index + 1 :])
            if digits is None:
                raise FeelError("'$' in a replacement must name a group")
            out.append(f"\\g<{digits.group()}>")
            index += 1 + len(digits.group())
        else:
            out.append(char)
            index += 1
    return "".join(out)


class _Worker:
    """One kept child process, used by one caller at a time."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.process: subprocess.Popen[str] | None = None

    def run(self, request: dict[str, Any]) -> Any:
        """Send one request to the worker and wait for it within the budget."""
        with self.lock:
            process = self._ready()
            assert process.stdin is not None and process.stdout is not None
            process.stdin.write(json.dumps(request) + "\n")
            process.stdin.flush()
            deadline = time.monotonic() + REGEX_SECONDS
            readable, _, _ = select.select([process.stdout], [], [], REGEX_SECONDS)
            if not readable or time.monotonic() > deadline + REGEX_SECONDS:
                self._stop()
                raise FeelLimitError("regular expression took too long")
            line = process.stdout.readline()
            if not line:
                self._stop()
                raise FeelError("the regular expression worker stopped")
        reply = json.loads(line)
        if "error" in reply:
            raise FeelError(f"invalid regular expression: {reply['error']}")
        return reply["ok"]

    def _ready(self) -> subprocess.Popen[str]:
        if self.process is None or self.process.poll() is not None:
            self.process = subprocess.Popen(  # noqa: S603 - fixed interpreter and script
                [sys.executable, "-I", "-S", str(_WORKER)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                encoding="utf-8",
            )
        return self.process

    def _stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


_worker = _Worker()


def run_regex(op: str, text: str, pattern: str, flags: str, replacement: str = "") -> Any:
    """``matches``/``replace``/``split`` of ``text`` with an XPath pattern, within budget."""
    if len(text) > MAX_REGEX_INPUT:
        raise FeelLimitError("text too long for a regular expression")
    python_pattern, bits = translate(pattern, flags)
    request = {"op": op, "pattern": python_pattern, "flags": bits, "text": text}
    if op == "replace":
        request["replacement"] = (
            replacement_template(replacement)
            if "q" not in flags
            else (replacement.replace("\\", "\\\\"))
        )
    return _worker.run(request)
