"""Matter and form definitions: schema, validators, expressions, catalog, calendar.

Pure Python: no Tk, no database, no network, and nothing else of this project imported.
``evaluate`` and its result types load on first use, so that importing a small part of
``forms`` (its gettext marker, say) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from forms.evaluation import Evaluation, FieldIssue, evaluate

__all__ = ["Evaluation", "FieldIssue", "evaluate"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from forms import evaluation

        return getattr(evaluation, name)
    raise AttributeError(f"module 'forms' has no attribute {name!r}")
