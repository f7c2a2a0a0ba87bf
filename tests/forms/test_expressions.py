"""The expression language: operators, None rules, functions, load-time errors, no eval."""

from __future__ import annotations

import builtins
import datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forms.compiled import Env
from forms.errors import DefinitionError
from forms.expressions import MAX_SOURCE_LENGTH, Expression, Symbol, compile_expression
from tests.forms.sample import VALID_ID

TODAY = datetime.date(2026, 11, 23)
SYMBOLS = {
    symbol.id: symbol
    for symbol in (
        Symbol("a", "integer"),
        Symbol("b", "integer"),
        Symbol("n", "integer"),
        Symbol("x", "decimal"),
        Symbol("s", "text"),
        Symbol("flag", "yes_no"),
        Symbol("d", "date"),
        Symbol("e", "date"),
        Symbol("person", "id_number"),
        Symbol("kind", "choice", choices=frozenset({"rural", "urban"})),
        Symbol("tags", "multi_choice", choices=frozenset({"old", "sick", "poor"})),
        Symbol("home", "address"),
        Symbol("rows", "group"),
        Symbol("income", "money", parent="rows", depth=1),
        Symbol("member", "name", parent="rows", depth=1),
        Symbol("other", "group"),
        Symbol("thing", "text", parent="other", depth=1),
    )
}
TOP: dict[str, Any] = {
    "a": 2, "b": 3, "x": Decimal("1.5"), "s": "abc", "flag": True,
    "d": datetime.date(2026, 1, 1), "e": datetime.date(2026, 3, 1), "person": VALID_ID,
    "kind": "rural", "tags": ["old", "poor"], "home": {"village": "东村"},
    "rows": [
        {"income": Decimal("100.50"), "member": "张三"},
        {"income": None, "member": "李四"},
        {"income": Decimal("20.00"), "member": "王五"},
    ],
}


def run(source: str, top: dict[str, Any] | None = None, **compile_options: Any) -> Any:
    expression = compile_expression(source, SYMBOLS, **compile_options)
    return expression(Env([TOP if top is None else top], TODAY))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a + b", 5),
        ("a - b", -1),
        ("a * b", 6),
        ("a / 4", Decimal("0.5")),
        ("a / 0", None),
        ("0.1 + 0.2", Decimal("0.3")),
        ("x * 2", Decimal("3.0")),
        ("-a", -2),
        ("+a", 2),
        ("s + 'd'", "abcd"),
        ("a == 2", True),
        ("a != 2", False),
        ("a < b", True),
        ("a <= 2", True),
        ("a > b", False),
        ("a >= 3", False),
        ("1 < a < 3", True),
        ("1 < a < 2", False),
        ("a in [1, 2]", True),
        ("a not in [1, 2]", False),
        ("'b' in s", True),
        ("'old' in tags", True),
        ("kind in ['rural']", True),
        ("flag and a", 2),
        ("not flag or a", 2),
        ("not flag", False),
        ("a if flag else b", 2),
        ("a if not flag else b", 3),
        ("d < '2026-02-01'", True),
        ("'2026-02-01' < d", False),
        ("d == e", False),
        ("True and False", False),
        ("[a, b]", [2, 3]),
    ],
)
def test_operators(source: str, expected: Any) -> None:
    assert run(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("n + 1", None),
        ("1 - n", None),
        ("n * 2", None),
        ("n / 2", None),
        ("-n", None),
        ("n == 1", False),
        ("n != 1", False),
        ("n < 1", False),
        ("n >= 1", False),
        ("n in [1]", False),
        ("n not in [1]", False),
        ("0 < n < 5", False),
        ("not n", True),
        ("blank(n)", True),
        ("n or 5", 5),
        ("n and 5", None),
        ("len(s)", 0),
        ("age(d)", None),
        ("age(person)", None),
        ("days_between(d, e)", None),
        ("days_between(e, d)", None),
        ("round(n, 2)", None),
        ("selected(tags, 'old')", False),
        ("selected(kind, 'rural')", False),
        ("sum([n, 1])", 1),
        ("min([n])", None),
        ("count([n, 1, ''])", 1),
    ],
)
def test_unanswered_values_are_none(source: str, expected: Any) -> None:
    unanswered = {"n": None, "s": None, "d": None, "person": None, "tags": None, "kind": None}
    assert run(source, {**TOP, **unanswered}) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("count(rows)", 3),
        ("count(rows.income)", 2),
        ("sum(rows.income)", Decimal("120.50")),
        ("min(rows.income)", Decimal("20.00")),
        ("max(rows.income)", Decimal("100.50")),
        ("max(a, b, 1)", 3),
        ("min(d, e)", datetime.date(2026, 1, 1)),
        ("len(s)", 3),
        ("len(rows.member)", 3),
        ("len(rows)", 3),
        ("today()", TODAY),
        ("age(d)", 0),
        ("age(person)", 76),
        ("age('1950-11-24')", 75),
        ("days_between(d, e)", 59),
        ("days_between(e, '2026-01-01')", -59),
        ("selected(tags, 'poor')", True),
        ("selected(tags, 'sick')", False),
        ("selected(kind, 'rural')", True),
        ("blank(s)", False),
        ("blank('')", True),
        ("blank(home)", False),
        ("round(2 / 3, 2)", Decimal("0.67")),
        ("round(x)", Decimal("2")),
        ("round(0.125, 2)", Decimal("0.13")),
        ("'张三' in rows.member", True),
    ],
)
def test_functions(source: str, expected: Any) -> None:
    assert run(source) == expected


def test_empty_group_and_hidden_group_have_no_rows() -> None:
    assert run("count(rows) + sum(rows.income)", {**TOP, "rows": None}) == 0
    assert run("max(rows.income)", {**TOP, "rows": []}) is None


def test_inside_a_row_names_resolve_to_the_row_and_the_top_level() -> None:
    expression = compile_expression("income > a and member != s", SYMBOLS, groups=("rows",))
    rows = TOP["rows"]
    results = [expression(Env([TOP, row], TODAY)) for row in rows]
    assert results == [True, False, True]


def test_value_is_the_fields_own_value_in_a_constraint() -> None:
    owner = SYMBOLS["kind"]
    expression = compile_expression("value == 'urban' or a > 1", SYMBOLS, owner=owner)
    assert expression(Env([TOP], TODAY, "rural")) is True
    assert expression(Env([{**TOP, "a": 0}], TODAY, "rural")) is False
    with pytest.raises(DefinitionError, match="'other' is not a choice of field 'kind'"):
        compile_expression("value == 'other'", SYMBOLS, owner=owner)


def test_references_are_extracted_statically() -> None:
    expression = compile_expression("sum(rows.income) > a and selected(tags, 'old')", SYMBOLS)
    assert expression.references == {"rows", "income", "a", "tags"}
    assert compile_expression("today()", SYMBOLS).references == frozenset()


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("__import__('os')", "Unknown function '__import__'"),
        ("open('/etc/passwd')", "Unknown function 'open'"),
        ("eval('1')", "Unknown function 'eval'"),
        ("a.__class__", "only a group's fields can be read with a dot"),
        ("s.upper()", "only the built-in functions can be called"),
        ("rows.__class__", "Group 'rows' has no field '__class__'"),
        ("rows.nope", "Group 'rows' has no field 'nope'"),
        ("rows.thing", "Group 'rows' has no field 'thing'"),
        ("nope", "Unknown field 'nope'"),
        ("income > 1", "belongs to group 'rows'"),
        ("(lambda: 1)()", "only the built-in functions can be called"),
        ("lambda: 1", "is not allowed"),
        ("[r for r in rows]", "is not allowed"),
        ("a[0]", "is not allowed"),
        ("{1: 2}", "is not allowed"),
        ("(a, b)", "is not allowed"),
        ("a % 2", "is not allowed"),
        ("a ** 2", "is not allowed"),
        ("a // 2", "is not allowed"),
        ("a is None", "is not allowed"),
        ("f'{a}'", "is not allowed"),
        ("b'x'", "is not allowed"),
        ("1j", "is not allowed"),
        ("(y := 1)", "is not allowed"),
        ("a == None", "use blank(x)"),
        ("s + 1", "cannot apply '+'"),
        ("s * 2", "cannot apply '*'"),
        ("-s", "needs a number"),
        ("a < 'x'", "cannot compare number with text"),
        ("a == 'x'", "cannot compare number with text"),
        ("home < 1", "cannot compare"),
        ("1 in a", "cannot compare"),
        ("kind == 'city'", "'city' is not a choice of field 'kind'"),
        ("kind in ['rural', 'city']", "'city' is not a choice of field 'kind'"),
        ("selected(tags, 'rich')", "'rich' is not a choice of field 'tags'"),
        ("selected(tags, s)", "must be a quoted choice value"),
        ("d < '2026-13-01'", "not a date"),
        ("value > 1", "'value' may only be used in a constraint"),
        ("count(a)", "count() cannot take"),
        ("sum(s)", "sum() cannot take"),
        ("len(a)", "len() cannot take"),
        ("days_between(a, d)", "days_between() cannot take"),
        ("count(rows, a)", "count() takes 1 argument(s), not 2"),
        ("today(1)", "today() takes 0 argument(s), not 1"),
        ("round(x, 2.5)", "must be a whole number"),
        ("round(x, 11)", "0 to 10 digits"),
        ("round(x, ndigits=2)", "keyword arguments"),
        ("max(*rows)", "is not allowed"),
        ("a +", "Cannot parse expression"),
        ("a; b", "Cannot parse expression"),
        ("", "non-empty"),
        ("   ", "non-empty"),
        ("1 +" + " 1 +" * MAX_SOURCE_LENGTH + " 1", "longer than"),
        ("(" * 300 + "1" + ")" * 300, "Cannot parse expression"),
        ("-" * 1900 + "1", "nested too deeply"),
    ],
)
def test_bad_expressions_fail_at_load(source: str, fragment: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        compile_expression(source, SYMBOLS)
    assert fragment in caught.value.message


def test_other_groups_fields_are_not_visible_inside_a_row() -> None:
    with pytest.raises(DefinitionError, match="belongs to group 'other'"):
        compile_expression("thing == 'x'", SYMBOLS, groups=("rows",))


def test_nothing_is_evaluated_with_eval_or_exec(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("eval/exec must not be used")

    for name in ("eval", "exec"):
        monkeypatch.setattr(builtins, name, forbidden)
    assert run("sum(rows.income) + a if selected(tags, 'old') else 0") == Decimal("122.50")


def test_a_runtime_type_surprise_gives_none_not_an_exception() -> None:
    expression = compile_expression("a + 1", SYMBOLS)
    assert expression(Env([{"a": "not a number"}], TODAY)) is None


@given(st.integers(-10**6, 10**6), st.integers(-10**6, 10**6))
def test_arithmetic_and_comparison_agree_with_python(first: int, second: int) -> None:
    top = {"a": first, "b": second}
    assert run("a * 3 - b + a", top) == first * 3 - second + first
    assert run("a < b", top) is (first < second)
    assert run("a if a >= b else b", top) == max(first, second)


@given(st.text(max_size=60))
def test_any_text_either_compiles_or_raises_definition_error(source: str) -> None:
    try:
        expression = compile_expression(source, SYMBOLS)
    except DefinitionError:
        return
    assert isinstance(expression, Expression)
