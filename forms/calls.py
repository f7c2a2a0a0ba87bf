"""Compilation of function calls in expressions: argument checks and closures.

The functions themselves live in :mod:`forms.functions`; here each name gets a builder
that checks its arguments at load time and returns the closure to run.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from forms import functions, kinds
from forms.compiled import Compiled
from forms.errors import DefinitionError
from forms.i18n import _

if TYPE_CHECKING:
    from forms.expressions import Compiler

Builder = Callable[["Compiler", ast.Call, list[Compiled]], Compiled]

_MAX_ROUND_DIGITS = 10


def compile_call(compiler: Compiler, node: ast.Call) -> Compiled:
    """Compile a call to one of the language's functions; raises DefinitionError."""
    if not isinstance(node.func, ast.Name):
        raise DefinitionError(
            _("\"{text}\": only the built-in functions can be called.").format(
                text=ast.unparse(node.func)
            )
        )
    name = node.func.id
    entry = _FUNCTIONS.get(name)
    if entry is None:
        raise DefinitionError(_("Unknown function '{name}'.").format(name=name))
    if node.keywords:
        raise DefinitionError(
            _("{name}() does not take keyword arguments.").format(name=name)
        )
    low, high, builder = entry
    if not low <= len(node.args) <= (high if high is not None else len(node.args)):
        raise DefinitionError(
            _("{name}() takes {expected} argument(s), not {count}.").format(
                name=name, expected=_arity(low, high), count=len(node.args)
            )
        )
    return builder(compiler, node, [compiler.compile(arg) for arg in node.args])


def _arity(low: int, high: int | None) -> str:
    if high is None:
        return f"{low}+"
    return str(low) if low == high else f"{low}-{high}"


def _result(node: ast.AST, kind: str, run: Callable[[Any], Any]) -> Compiled:
    return Compiled(run, kind, node)


def _require(node: ast.Call, argument: Compiled, *accepted: str, lists: bool = False) -> None:
    kind = argument.kind
    if kind == kinds.ANY or kind in accepted or (lists and kinds.is_list(kind)):
        return
    raise DefinitionError(
        _("\"{text}\": {name}() cannot take a value of kind {kind}.").format(
            text=ast.unparse(node), name=ast.unparse(node.func), kind=kind
        )
    )


def _count(compiler: Compiler, node: ast.Call, args: list[Compiled]) -> Compiled:
    (argument,) = args
    _require(node, argument, kinds.GROUP, lists=True)
    inner = argument.run
    if argument.kind == kinds.GROUP:
        return _result(node, kinds.NUMBER, lambda env: functions.count_rows(inner(env)))
    return _result(node, kinds.NUMBER, lambda env: functions.count_answered(inner(env)))


def _sum(compiler: Compiler, node: ast.Call, args: list[Compiled]) -> Compiled:
    (argument,) = args
    _require(node, argument, kinds.list_of(kinds.NUMBER), kinds.list_of(kinds.ANY))
    inner = argument.run
    return _result(node, kinds.NUMBER, lambda env: functions.total(inner(env)))


def _extreme(pick: Callable[[Any], Any]) -> Builder:
    def build(compiler: Compiler, node: ast.Call, args: list[Compiled]) -> Compiled:
        if len(args) == 1:
            (argument,) = args
            _require(node, argument, lists=True)
            inner = argument.run
            return _result(node, kinds.element(argument.kind), lambda env: pick(inner(env) or ()))
        kind = kinds.NONE
        for argument in args:
            _require(node, argument, kinds.NUMBER, kinds.DATE, kinds.TEXT)
            kind = kinds.unify(kind, argument.kind)
        runs = [argument.run for argument in args]
        return _result(node, kind, lambda env: pick(run(env) for run in runs))

    return build


def _len(compiler: Compiler, node: ast.Call, args: list[Compiled]) -> Compiled:
    (argument,) = args
    _require(node, argument, kinds.TEXT, kinds.GROUP, lists=True)
    inner = argument.run
    return _result(node, kinds.NUMBER, lambda env: functions.length(inner(env)))


def _today(compiler: Compiler, node: ast.Call, args: list[Compiled]) -> Compiled:
    return _result(node, kinds.DATE, lambda env: env.today)


def _as_date(compiler: Compiler, argument: Compiled) -> Compiled:
    if argument.is_constant and argument.kind == kinds.TEXT:
        return compiler.date_literal(argument)
    return argument


def _age(compiler: Compiler, node: ast.Call, args: list[Compiled]) -> Compiled:
    argument = _as_date(compiler, args[0])
    _require(node, argument, kinds.DATE, kinds.TEXT)
    inner = argument.run
    return _result(node, kinds.NUMBER, lambda env: functions.age(inner(env), env.today))


def _days_between(compiler: Compiler, node: ast.Call, args: list[Compiled]) -> Compiled:
    first, second = (_as_date(compiler, argument) for argument in args)
    _require(node, first, kinds.DATE)
    _require(node, second, kinds.DATE)
    frun, srun = first.run, second.run
    return _result(
        node, kinds.NUMBER, lambda env: functions.days_between(frun(env), srun(env))
    )


def _selected(compiler: Compiler, node: ast.Call, args: list[Compiled]) -> Compiled:
    answer, choice = args
    _require(node, answer, kinds.TEXT, kinds.list_of(kinds.TEXT))
    if not (choice.is_constant and isinstance(choice.constant, str)):
        raise DefinitionError(
            _("\"{text}\": the second argument of selected() must be a quoted choice value.")
            .format(text=ast.unparse(node))
        )
    choices, name = compiler.choices_of(answer.node)
    if choices is not None and choice.constant not in choices:
        raise DefinitionError(
            _("'{literal}' is not a choice of field '{name}'.").format(
                literal=choice.constant, name=name
            )
        )
    inner, wanted = answer.run, choice.constant
    return _result(node, kinds.BOOL, lambda env: functions.selected(inner(env), wanted))


def _blank(compiler: Compiler, node: ast.Call, args: list[Compiled]) -> Compiled:
    inner = args[0].run
    return _result(node, kinds.BOOL, lambda env: functions.blank(inner(env)))


def _round(compiler: Compiler, node: ast.Call, args: list[Compiled]) -> Compiled:
    _require(node, args[0], kinds.NUMBER)
    digits = 0
    if len(args) == 2:
        given = args[1]
        if not (given.is_constant and type(given.constant) is int):
            raise DefinitionError(
                _("\"{text}\": the digits of round() must be a whole number.").format(
                    text=ast.unparse(node)
                )
            )
        digits = given.constant
    if not 0 <= digits <= _MAX_ROUND_DIGITS:
        raise DefinitionError(
            _("\"{text}\": round() takes 0 to {limit} digits.").format(
                text=ast.unparse(node), limit=_MAX_ROUND_DIGITS
            )
        )
    inner = args[0].run
    return _result(node, kinds.NUMBER, lambda env: functions.round_to(inner(env), digits))


_FUNCTIONS: dict[str, tuple[int, int | None, Builder]] = {
    "count": (1, 1, _count),
    "sum": (1, 1, _sum),
    "min": (1, None, _extreme(functions.smallest)),
    "max": (1, None, _extreme(functions.largest)),
    "len": (1, 1, _len),
    "today": (0, 0, _today),
    "age": (1, 1, _age),
    "days_between": (2, 2, _days_between),
    "selected": (2, 2, _selected),
    "blank": (1, 1, _blank),
    "round": (1, 2, _round),
}

FUNCTION_NAMES: frozenset[str] = frozenset(_FUNCTIONS)
