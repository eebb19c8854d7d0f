"""Which product models a complaint or unit may name: the built-in pack specs.

One check for the CLI and the API alike: a misspelt model would otherwise only surface at the
first bench run, after the units were logged under it. A model without a built-in spec is allowed
only when the caller says so on purpose (``--custom-model`` / ``?custom_model=true``) and then
gives the spec file to every run.
"""

from __future__ import annotations

from procedures.specs import load_builtin_specs
from results.errors import ValidationError


def known_models() -> list[str]:
    return sorted(load_builtin_specs())


def check_product_model(
    model: str, *, allow_unknown: bool = False, field: str = "product_model", hint: str = ""
) -> None:
    """Refuse ``model`` unless it has a built-in pack spec (or ``allow_unknown``)."""
    if allow_unknown:
        return
    known = known_models()
    if model not in known:
        raise ValidationError(
            field,
            f"{model!r}: no built-in pack spec of that name",
            f"use one of: {', '.join(known)}" + hint,
        )
