"""Evaluation order of a matter's fields, and detection of circular definitions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from forms.errors import DefinitionError
from forms.i18n import _
from forms.model import Field


def reads_of(field: Field) -> set[str]:
    """The field ids that ``field``'s visibility and value depend on."""
    reads: set[str] = set()
    for expression in (field.relevant, field.calculate):
        if expression is not None:
            reads |= expression.references
    if field.groups:
        reads.add(field.groups[-1])
    return reads


def evaluation_order(fields: Iterable[Field]) -> tuple[str, ...]:
    """Every field id, each after the fields it reads (definition order otherwise).

    Raises DefinitionError naming a field on a cycle and the whole cycle.
    """
    graph = {field.id: sorted(reads_of(field)) for field in fields}
    order: list[str] = []
    done: set[str] = set()
    for start in graph:
        _visit(start, graph, order, done, [])
    return tuple(order)


def _visit(
    node: str, graph: Mapping[str, list[str]], order: list[str], done: set[str], trail: list[str]
) -> None:
    if node in done or node not in graph:
        return
    if node in trail:
        cycle = [*trail[trail.index(node):], node]
        raise DefinitionError(
            _("Circular definition: {cycle}.").format(cycle=" -> ".join(cycle)), field=node
        )
    trail.append(node)
    for dependency in graph[node]:
        _visit(dependency, graph, order, done, trail)
    trail.pop()
    done.add(node)
    order.append(node)
