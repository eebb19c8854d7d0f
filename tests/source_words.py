"""What the source-walking tests read off a refusal's wording in the code (``ast``).

The store's and the station file's refusal walks (``tests/results/test_refusal_templates.py``,
``tests/bench/test_station_file_errors_chinese.py``) turn the words a ``raise`` builds into a
format string and test that a read-back template reads it; both read the code the same way.
"""

from __future__ import annotations

import ast


def message_format(node: ast.expr) -> str:
    """The words as a format string: literal text kept, each computed part one placeholder
    (``{x!r}`` where the value is shown with its quotes, else ``{x}``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.replace("{", "{{").replace("}", "}}")
    if isinstance(node, ast.JoinedStr):
        return "".join(message_format(v) for v in node.values)
    if isinstance(node, ast.FormattedValue):
        return "{x!r}" if node.conversion == ord("r") else "{x}"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return message_format(node.left) + message_format(node.right)
    return "{x}"


def call_name(call: ast.Call) -> str:
    """The called function's or method's own name (``raise X(...)``, ``self.fail(...)``)."""
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
