"""Every value a shipped procedure can record for a categorical measurement, found where it is
declared: every ``CategoricalMeasurement(...)`` call (and every ``super().__init__`` of a
subclass) in ``procedures/``, its vocabulary evaluated in its module. A vocabulary this walk
cannot evaluate fails the walk unless it is resolved in ``UNEVALUATED``, so a new categorical
measurement cannot slip past the label tests (``tests/results/test_category_labels.py``) and the
Chinese pages' raw-code check (``tests/service/test_chinese_complete.py``)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import procedures
from procedures.appearance import CALIPER_ID, CHECKLIST, UNIDENTIFIED

ROOT = Path(procedures.__file__).parent
CATEGORICAL = "CategoricalMeasurement"

UNEVALUATED: dict[tuple[str, str], list[tuple[str, str]]] = {
    # the appearance checklist builds each item's measurement from the item's own options
    ("procedures.appearance", "self.options"): [
        (item.name, option) for item in CHECKLIST for option in item.options
    ],
}
"""Vocabularies that are not module-level expressions: (module, source) -> (name, value)s."""
FIXED_FREE_TEXT = {(CALIPER_ID, UNIDENTIFIED)}
"""Words a procedure itself records into a free-text measurement (no caliper typed)."""


def _module_name(path: Path) -> str:
    relative = path.relative_to(ROOT.parent).with_suffix("")
    return ".".join(relative.parts)


def _categorical_subclasses(tree: ast.Module) -> set[str]:
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any(isinstance(b, ast.Name) and b.id == CATEGORICAL for b in node.bases)
    }


def _declaring_calls(tree: ast.Module) -> list[ast.Call]:
    """``CategoricalMeasurement(...)`` calls and subclasses' ``super().__init__(...)``."""
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == CATEGORICAL
    ]
    for cls in ast.walk(tree):
        if isinstance(cls, ast.ClassDef) and cls.name in _categorical_subclasses(tree):
            calls += [
                node
                for node in ast.walk(cls)
                if isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "__init__"
                and isinstance(node.func.value, ast.Call)
                and isinstance(node.func.value.func, ast.Name)
                and node.func.value.func.id == "super"
            ]
    return calls


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    return call.args[position] if len(call.args) > position else None


def declared_values() -> set[tuple[str, str]]:
    """(measurement name or ``""`` where the name is built at run time, value) of every
    vocabulary a shipped procedure declares; free-text measurements (no vocabulary) have none."""
    found: set[tuple[str, str]] = set()
    unresolved: list[str] = []
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module_name = _module_name(path)
        namespace = vars(importlib.import_module(module_name))
        for call in _declaring_calls(tree):
            name_node, allowed = _argument(call, 0, "name"), _argument(call, 1, "allowed")
            assert name_node is not None, f"{path.name}:{call.lineno}: a measurement has a name"
            if allowed is None or (isinstance(allowed, ast.Constant) and allowed.value is None):
                continue  # free text: recorded as typed
            source = ast.unparse(allowed)
            if (module_name, source) in UNEVALUATED:
                found |= set(UNEVALUATED[module_name, source])
                continue
            try:
                values = eval(source, dict(namespace))  # our own source, in a test
            except NameError:
                unresolved.append(f"{path.name}:{call.lineno} {source}")
                continue
            try:
                name = str(eval(ast.unparse(name_node), dict(namespace)))
            except (NameError, AttributeError, TypeError):
                name = ""  # built at run time (f-string, a loop's variable)
            found |= {(name, str(v)) for v in values}
    assert unresolved == [], "vocabularies the walk cannot evaluate: resolve them in UNEVALUATED"
    return found | FIXED_FREE_TEXT


def category_codes() -> frozenset[str]:
    """Every value of ``declared_values`` (the codes a reader must never see raw)."""
    return frozenset(value for _, value in declared_values())
