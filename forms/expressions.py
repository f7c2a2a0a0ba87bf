"""The expression language of matter definitions, compiled from ``ast`` into closures.

Nothing is ever passed to ``eval``/``exec``: the source is parsed with :func:`ast.parse`,
every node is checked against a small whitelist (names, literals, operators, the functions
of :mod:`forms.functions`), and turned into a Python closure once, at load time. Unknown
fields and functions, disallowed syntax and obvious type mistakes raise
:class:`~forms.errors.DefinitionError` then, never at run time.
"""

from __future__ import annotations

import ast
import datetime
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from forms import kinds
from forms.calls import compile_call
from forms.compiled import Compiled, Env, Run, constant
from forms.errors import DefinitionError
from forms.i18n import _

MAX_SOURCE_LENGTH = 2000


@dataclass(frozen=True)
class Symbol:
    """A field as the compiler sees it: its type, enclosing group and depth, choices."""

    id: str
    type: str
    parent: str | None = None
    depth: int = 0
    choices: frozenset[str] | None = None


@dataclass(frozen=True)
class Expression:
    """A compiled expression: call it with an :class:`Env`.

    A value of an unexpected type at run time (which the load-time checks make rare) makes
    the whole expression None rather than raising.
    """

    source: str
    references: frozenset[str]
    kind: str
    run: Run = field(compare=False, repr=False)

    def __call__(self, env: Env) -> Any:
        try:
            return self.run(env)
        except (TypeError, ValueError, ArithmeticError):
            return None


def compile_expression(
    source: str,
    symbols: Mapping[str, Symbol],
    *,
    groups: tuple[str, ...] = (),
    owner: Symbol | None = None,
) -> Expression:
    """Compile ``source`` for a place inside ``groups`` (outermost first).

    ``owner`` is the field whose constraint this is; only then may ``value`` be used.
    Raises DefinitionError for a syntax error, disallowed construct, unknown field or
    function, or a type mistake.
    """
    if not isinstance(source, str) or not source.strip():
        raise DefinitionError(_("An expression must be a non-empty string."))
    if len(source) > MAX_SOURCE_LENGTH:
        raise DefinitionError(
            _("Expression is longer than {limit} characters.").format(limit=MAX_SOURCE_LENGTH)
        )
    tree = _parse(source)
    compiler = Compiler(symbols, groups, owner)
    try:
        compiled = compiler.compile(tree.body)
    except RecursionError:
        raise DefinitionError(_("Expression is nested too deeply.")) from None
    return Expression(source, frozenset(compiler.references), compiled.kind, compiled.run)


def _parse(source: str) -> ast.Expression:
    try:
        return ast.parse(source.strip(), mode="eval")
    except SyntaxError as error:
        raise DefinitionError(
            _("Cannot parse expression \"{source}\" (column {column}).").format(
                source=source, column=error.offset or 0
            )
        ) from None
    except (RecursionError, MemoryError, ValueError):
        raise DefinitionError(_("Expression is nested too deeply.")) from None


def _divide(left: Any, right: Any) -> Decimal | None:
    return None if right == 0 else Decimal(left) / Decimal(right)


_ARITHMETIC: dict[type, tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", operator.add),
    ast.Sub: ("-", operator.sub),
    ast.Mult: ("*", operator.mul),
    ast.Div: ("/", _divide),
}

_COMPARISONS: dict[type, tuple[str, Callable[[Any, Any], bool]]] = {
    ast.Eq: ("==", operator.eq),
    ast.NotEq: ("!=", operator.ne),
    ast.Lt: ("<", operator.lt),
    ast.LtE: ("<=", operator.le),
    ast.Gt: (">", operator.gt),
    ast.GtE: (">=", operator.ge),
    ast.In: ("in", lambda left, right: left in right),
    ast.NotIn: ("not in", lambda left, right: left not in right),
}

_ORDERED_KINDS = (kinds.NUMBER, kinds.TEXT, kinds.DATE, kinds.ANY)


class Compiler:
    """Walks one parsed expression and builds its closures."""

    def __init__(
        self, symbols: Mapping[str, Symbol], groups: tuple[str, ...], owner: Symbol | None
    ) -> None:
        self.symbols = symbols
        self.groups = groups
        self.owner = owner
        self.references: set[str] = set()

    def compile(self, node: ast.AST) -> Compiled:
        """Compile one node; raises DefinitionError for anything outside the language."""
        handler = getattr(self, f"visit_{type(node).__name__}", None)
        if handler is None:
            raise DefinitionError(
                _("\"{construct}\" is not allowed in expressions.").format(
                    construct=_describe(node)
                )
            )
        return handler(node)

    # literals -------------------------------------------------------------------------

    def visit_Constant(self, node: ast.Constant) -> Compiled:
        value: Any = node.value
        if isinstance(value, bool) or value is None:
            kind = kinds.BOOL if isinstance(value, bool) else kinds.NONE
        elif isinstance(value, int):
            kind = kinds.NUMBER
        elif isinstance(value, float):
            value, kind = Decimal(repr(value)), kinds.NUMBER
        elif isinstance(value, str):
            kind = kinds.TEXT
        else:
            raise DefinitionError(
                _("The literal {literal} is not allowed in expressions.").format(
                    literal=ast.unparse(node)
                )
            )
        return constant(value, kind, node)

    def visit_List(self, node: ast.List) -> Compiled:
        items = [self.compile(item) for item in node.elts]
        kind = kinds.NONE
        for item in items:
            kind = kinds.unify(kind, item.kind)
        list_kind = kinds.list_of(kinds.ANY if kind == kinds.NONE else kind)
        if all(item.is_constant for item in items):
            return constant([item.constant for item in items], list_kind, node)
        runs = [item.run for item in items]
        return Compiled(lambda env: [run(env) for run in runs], list_kind, node)

    # names --------------------------------------------------------------------------------

    def visit_Name(self, node: ast.Name) -> Compiled:
        if node.id == "value":
            return self._own_value(node)
        symbol = self.visible_symbol(node.id)
        self.references.add(symbol.id)
        kind = kinds.FIELD_KINDS[symbol.type]
        name, depth = symbol.id, symbol.depth
        if depth == 0:
            return Compiled(lambda env: env.scopes[0].get(name), kind, node)
        return Compiled(lambda env: env.scopes[depth].get(name), kind, node)

    def _own_value(self, node: ast.Name) -> Compiled:
        if self.owner is None:
            raise DefinitionError(_("'value' may only be used in a constraint."))
        return Compiled(lambda env: env.value, kinds.FIELD_KINDS[self.owner.type], node)

    def symbol(self, name: str) -> Symbol:
        """The symbol called ``name``; raises DefinitionError for an unknown field."""
        symbol = self.symbols.get(name)
        if symbol is None:
            raise DefinitionError(_("Unknown field '{name}'.").format(name=name))
        return symbol

    def visible_symbol(self, name: str) -> Symbol:
        """The symbol ``name`` if this place can see it (top level or an enclosing row)."""
        symbol = self.symbol(name)
        depth = symbol.depth
        if depth == 0 or (depth <= len(self.groups) and self.groups[depth - 1] == symbol.parent):
            return symbol
        raise DefinitionError(
            _(
                "Field '{name}' belongs to group '{group}': use {group}.{name} "
                "(a list over the rows) or refer to it from inside that group."
            ).format(name=name, group=symbol.parent)
        )

    def visit_Attribute(self, node: ast.Attribute) -> Compiled:
        group = self._group_name(node.value)
        member = self.symbols.get(node.attr)
        if member is None or member.parent != group.id:
            raise DefinitionError(
                _("Group '{group}' has no field '{name}'.").format(group=group.id, name=node.attr)
            )
        if member.type == "group":
            raise DefinitionError(
                _("'{group}.{name}' is a group inside a group; refer to its fields from "
                  "inside it.").format(group=group.id, name=member.id)
            )
        self.references.update((group.id, member.id))
        gid, mid, depth = group.id, member.id, group.depth
        return Compiled(
            lambda env: [row.get(mid) for row in env.scopes[depth].get(gid) or ()],
            kinds.list_of(kinds.FIELD_KINDS[member.type]),
            node,
        )

    def _group_name(self, node: ast.AST) -> Symbol:
        if isinstance(node, ast.Name) and node.id != "value":
            symbol = self.visible_symbol(node.id)
            if symbol.type == "group":
                return symbol
        raise DefinitionError(
            _("\"{text}\": only a group's fields can be read with a dot.").format(
                text=ast.unparse(node)
            )
        )

    # operators ----------------------------------------------------------------------------

    def visit_BoolOp(self, node: ast.BoolOp) -> Compiled:
        parts = [self.compile(value) for value in node.values]
        runs = [part.run for part in parts]
        kind = kinds.NONE
        for part in parts:
            kind = kinds.unify(kind, part.kind)
        stop_when = not isinstance(node.op, ast.And)

        def run(env: Env) -> Any:
            result = None
            for part in runs:
                result = part(env)
                if bool(result) is stop_when:
                    return result
            return result

        return Compiled(run, kind, node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Compiled:
        operand = self.compile(node.operand)
        inner = operand.run
        if isinstance(node.op, ast.Not):
            return Compiled(lambda env: not inner(env), kinds.BOOL, node)
        if isinstance(node.op, (ast.USub, ast.UAdd)) and operand.kind in (kinds.NUMBER, kinds.ANY):
            sign = -1 if isinstance(node.op, ast.USub) else 1
            if operand.is_constant:
                return constant(sign * operand.constant, kinds.NUMBER, node)
            return Compiled(lambda env: _signed(sign, inner(env)), kinds.NUMBER, node)
        raise DefinitionError(
            _("\"{text}\": this operator needs a number.").format(text=ast.unparse(node))
        )

    def visit_BinOp(self, node: ast.BinOp) -> Compiled:
        entry = _ARITHMETIC.get(type(node.op))
        if entry is None:
            raise DefinitionError(
                _("\"{construct}\" is not allowed in expressions.").format(
                    construct=_describe(node)
                )
            )
        symbol, apply = entry
        left, right = self.compile(node.left), self.compile(node.right)
        kind = self._arithmetic_kind(symbol, left.kind, right.kind, node)
        lrun, rrun = left.run, right.run

        def run(env: Env) -> Any:
            first = lrun(env)
            if first is None:
                return None
            second = rrun(env)
            return None if second is None else apply(first, second)

        return Compiled(run, kind, node)

    def _arithmetic_kind(self, symbol: str, left: str, right: str, node: ast.AST) -> str:
        allowed: tuple[str, ...] = (kinds.NUMBER, kinds.ANY)
        if symbol == "+":
            allowed += (kinds.TEXT,)
        both_ok = all(k in allowed or (symbol == "+" and kinds.is_list(k)) for k in (left, right))
        if not both_ok or not kinds.compatible(left, right):
            raise DefinitionError(
                _("\"{text}\": cannot apply '{op}' to {left} and {right}.").format(
                    text=ast.unparse(node), op=symbol, left=left, right=right
                )
            )
        return kinds.unify(left, right) if kinds.ANY not in (left, right) else kinds.ANY

    def visit_Compare(self, node: ast.Compare) -> Compiled:
        operands = [self.compile(node.left)] + [self.compile(item) for item in node.comparators]
        steps = []
        for index, op in enumerate(node.ops):
            if type(op) not in _COMPARISONS:
                raise DefinitionError(
                    _("\"{construct}\" is not allowed in expressions.").format(
                        construct=_describe(node)
                    )
                )
            symbol, apply = _COMPARISONS[type(op)]
            left, right = self._coerce_pair(operands[index], operands[index + 1])
            operands[index : index + 2] = [left, right]
            self._check_comparison(symbol, left, right, node)
            steps.append((apply, right.run))
        return Compiled(_comparison_chain(operands[0].run, steps), kinds.BOOL, node)

    def _coerce_pair(self, left: Compiled, right: Compiled) -> tuple[Compiled, Compiled]:
        """Turn an ISO date text literal compared with a date into a date constant."""
        if left.kind == kinds.DATE and right.is_constant and right.kind == kinds.TEXT:
            return left, self.date_literal(right)
        if right.kind == kinds.DATE and left.is_constant and left.kind == kinds.TEXT:
            return self.date_literal(left), right
        return left, right

    def date_literal(self, item: Compiled) -> Compiled:
        """A text literal read as an ISO date; raises DefinitionError when it is not one."""
        try:
            day = datetime.date.fromisoformat(item.constant)
        except ValueError:
            raise DefinitionError(
                _("'{text}' is not a date of the form YYYY-MM-DD.").format(text=item.constant)
            ) from None
        return constant(day, kinds.DATE, item.node)

    def _check_comparison(
        self, symbol: str, left: Compiled, right: Compiled, node: ast.AST
    ) -> None:
        if kinds.NONE in (left.kind, right.kind):
            raise DefinitionError(
                _("\"{text}\": comparing with None is always false; use blank(x).").format(
                    text=ast.unparse(node)
                )
            )
        if symbol in ("in", "not in"):
            self._check_membership(symbol, left, right, node)
        elif not kinds.compatible(left.kind, right.kind) or (
            symbol not in ("==", "!=") and left.kind not in _ORDERED_KINDS
        ):
            raise self._mismatch(symbol, left, right, node)
        self._check_choice_literals(left, right)
        self._check_choice_literals(right, left)

    def _check_membership(
        self, symbol: str, left: Compiled, right: Compiled, node: ast.AST
    ) -> None:
        if right.kind == kinds.TEXT and left.kind in (kinds.TEXT, kinds.ANY):
            return
        if right.kind == kinds.ANY or (
            kinds.is_list(right.kind) and kinds.compatible(left.kind, kinds.element(right.kind))
        ):
            return
        raise self._mismatch(symbol, left, right, node)

    def _mismatch(
        self, symbol: str, left: Compiled, right: Compiled, node: ast.AST
    ) -> DefinitionError:
        return DefinitionError(
            _("\"{text}\": cannot compare {left} with {right} using '{op}'.").format(
                text=ast.unparse(node), left=left.kind, right=right.kind, op=symbol
            )
        )

    def _check_choice_literals(self, subject: Compiled, other: Compiled) -> None:
        choices, name = self.choices_of(subject.node)
        if choices is None or not other.is_constant:
            return
        literals = other.constant if isinstance(other.constant, list) else [other.constant]
        for literal in literals:
            if isinstance(literal, str) and literal not in choices:
                raise DefinitionError(
                    _("'{literal}' is not a choice of field '{name}'.").format(
                        literal=literal, name=name
                    )
                )

    def choices_of(self, node: ast.AST) -> tuple[frozenset[str] | None, str]:
        """The choices of a choice field named by ``node`` (plain, ``value`` or group.field)."""
        if isinstance(node, ast.Name) and node.id == "value" and self.owner is not None:
            return self.owner.choices, self.owner.id
        if isinstance(node, ast.Attribute):
            node = ast.Name(node.attr)
        if isinstance(node, ast.Name) and node.id in self.symbols:
            return self.symbols[node.id].choices, node.id
        return None, ""

    def visit_IfExp(self, node: ast.IfExp) -> Compiled:
        test, body, orelse = (self.compile(n) for n in (node.test, node.body, node.orelse))
        trun, brun, orun = test.run, body.run, orelse.run
        return Compiled(
            lambda env: brun(env) if trun(env) else orun(env),
            kinds.unify(body.kind, orelse.kind),
            node,
        )

    def visit_Call(self, node: ast.Call) -> Compiled:
        return compile_call(self, node)


def _signed(sign: int, value: Any) -> Any:
    return None if value is None else sign * value


def _comparison_chain(first: Run, steps: list[tuple[Callable[[Any, Any], bool], Run]]) -> Run:
    if len(steps) == 1:
        (apply, second), = steps

        def single(env: Env) -> bool:
            left = first(env)
            if left is None:
                return False
            right = second(env)
            return right is not None and bool(apply(left, right))

        return single

    def chain(env: Env) -> bool:
        left = first(env)
        for apply, following in steps:
            right = following(env)
            if left is None or right is None or not apply(left, right):
                return False
            left = right
        return True

    return chain


def _describe(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except (AttributeError, ValueError, TypeError):
        return type(node).__name__
