"""The child process that runs regular expressions, so a runaway one can be killed.

Self-contained on purpose: it runs as ``python -I -S`` with nothing of lendgraph loaded.
Reads one JSON request a line, writes one JSON answer a line.
"""

import json
import re
import sys


def _answer(request: dict) -> object:  # type: ignore[type-arg]
    pattern = re.compile(request["pattern"], request["flags"])
    text = request["text"]
    op = request["op"]
    if op == "matches":
        return pattern.search(text) is not None
    if op == "replace":
        if pattern.fullmatch("") is not None:
            raise ValueError("the pattern matches the empty string")
        return pattern.sub(request["replacement"], text)
    if op == "split":
        if pattern.fullmatch("") is not None:
            raise ValueError("the pattern matches the empty string")
        return pattern.split(text) if pattern.groups == 0 else _split(pattern, text)
    raise ValueError(op)


def _split(pattern: re.Pattern, text: str) -> list:  # type: ignore[type-arg]
    parts, start = [], 0
    for found in pattern.finditer(text):
        parts.append(text[start : found.start()])
        start = found.end()
    return [*parts, text[start:]]


def main() -> None:
    """Answer requests until standard input closes."""
    for line in sys.stdin:
        try:
            reply = {"ok": _answer(json.loads(line))}
        except Exception as exc:
            reply = {"error": str(exc)[:200]}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
