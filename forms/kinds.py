"""Static value kinds of the expression language, used to reject nonsense at load time.

A kind is a short string: ``number``, ``text``, ``bool``, ``date``, ``address``, ``group``,
``none`` (the literal None), ``any`` (unknown), or ``list<K>`` for a list of kind K.
"""

from __future__ import annotations

NUMBER = "number"
TEXT = "text"
BOOL = "bool"
DATE = "date"
ADDRESS = "address"
GROUP = "group"
NONE = "none"
ANY = "any"

FIELD_KINDS: dict[str, str] = {
    "text": TEXT,
    "long_text": TEXT,
    "name": TEXT,
    "phone": TEXT,
    "id_number": TEXT,
    "credit_code": TEXT,
    "choice": TEXT,
    "integer": NUMBER,
    "decimal": NUMBER,
    "money": NUMBER,
    "date": DATE,
    "yes_no": BOOL,
    "address": ADDRESS,
    "multi_choice": "list<text>",
    "group": GROUP,
}


def list_of(kind: str) -> str:
    """Return the kind of a list whose items are of ``kind``."""
    return f"list<{kind}>"


def is_list(kind: str) -> bool:
    """Tell whether ``kind`` is a list kind."""
    return kind.startswith("list<")


def element(kind: str) -> str:
    """Return the item kind of a list kind (``any`` for anything else)."""
    return kind[5:-1] if is_list(kind) else ANY


def unify(first: str, second: str) -> str:
    """Return the common kind of two alternatives, ``any`` when they differ."""
    if first == second or second == NONE:
        return first
    if first == NONE:
        return second
    return ANY


def compatible(first: str, second: str) -> bool:
    """Tell whether values of the two kinds can meaningfully meet in an operator."""
    if ANY in (first, second) or first == second:
        return True
    if is_list(first) and is_list(second):
        return compatible(element(first), element(second))
    return False
