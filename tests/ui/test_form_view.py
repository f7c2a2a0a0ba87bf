"""The form view on a real display (Xvfb): typing, rows, relevance, errors, screenshots."""

from __future__ import annotations

import gc

import datetime
import gettext

import pytest

import assets
from forms.catalog import load_catalog_dir
from station import i18n
from station.i18n import _
from station.ui.presenters.form import FormPresenter, id_details
from tests.forms.sample import BAD_CHECK_CREDIT_CODE, VALID_ID
from tests.ui.conftest import screenshot

pytestmark = pytest.mark.usefixtures("display")

TODAY = datetime.date(2026, 11, 23)
CATALOG = load_catalog_dir(assets.ROOT / "catalog")
APPLICANT = {
    "applicant_name": "欧阳明珠",
    "applicant_id": VALID_ID,
    "applicant_phone": "13800138000",
    "applicant_address": {"province": "山东省", "city": "菏泽市", "county": "单县",
                          "township": "东镇", "village": "东村", "detail": "幸福路1号"},
}


@pytest.fixture(autouse=True)
def chinese(monkeypatch):
    """Messages in Simplified Chinese, as the station shows them."""
    previous = gettext.bindtextdomain(i18n.DOMAIN)
    gettext.bindtextdomain(i18n.DOMAIN, str(i18n.LOCALE_DIR))
    monkeypatch.setenv("LANGUAGE", i18n.DEFAULT_LANGUAGE)
    yield
    gettext.bindtextdomain(i18n.DOMAIN, previous)


@pytest.fixture
def root():
    import ttkbootstrap as tb

    window = tb.Window(themename="bootstrap-light", size=(1200, 720))
    window.update()
    yield window
    window.destroy()
    gc.collect()  # finalise its images on this thread, never on a later test's worker


def _form(root, code: str, answers: dict | None = None, calls: list | None = None,
          scale: float = 1.0, states: list | None = None):
    from station.ui.views.form import FormView

    presenter = FormPresenter(
        CATALOG.matter(code), answers or {}, {}, today=TODAY,
        on_change=None if calls is None else lambda a, o: calls.append((a, o)),
    )
    view = FormView(root, presenter, scale=scale,
                    on_state=None if states is None else states.append)
    view.pack(fill="both", expand=True)
    root.update()
    return view


def _type(view, path: str, text: str, key: str = "<Return>") -> None:
    """Type into the field's entry, then leave it with ``key`` (keys go to the focus)."""
    entry = view.rows[path].input.focusables[0]
    entry.focus_force()
    entry.update()
    entry.delete(0, "end")
    entry.insert(0, text)
    entry.event_generate(key)
    view.update()


def _shown(widget) -> bool:
    widget.update()
    return bool(widget.winfo_ismapped())


def test_household_form_reacts_to_typing(root) -> None:
    calls: list = []
    view = _form(root, "SJ-DBSQ-001", calls=calls)
    members = view.groups["members"]
    assert view.form_state["members"].rows == 1 and "members[0].member_name" in view.rows

    members.add.invoke()
    members.add.invoke()
    assert view.form_state["members"].rows == 3
    for index, income in enumerate(("1,200.5", "300", "0")):
        _type(view, f"members[{index}].member_name", ["张三", "李四", "王小明"][index])
        _type(view, f"members[{index}].member_monthly_income", income, key="<FocusOut>")
    total = view.rows["household_monthly_income"].input.entry
    assert total.get() == "1500.50"
    assert view.rows["per_capita_income"].input.entry.get() == "500.17"
    assert view.rows["member_count"].input.entry.get() == "3"
    assert view.rows["members[0].member_monthly_income"].input.entry.get() == "1200.50"
    assert calls[-1][0]["members"][1] == {"member_name": "李四",
                                          "member_monthly_income": "300.00"}

    vehicle_use = view.rows["vehicle_use"]
    assert not _shown(vehicle_use.cell)
    view.rows["has_vehicle"].input.focusables[0].invoke()
    assert _shown(vehicle_use.cell) and vehicle_use.star.cget("text") == "*"

    _type(view, "applicant_id", VALID_ID[:-1] + "1")
    error = view.rows["applicant_id"].error
    assert _shown(error)
    assert error.cget("text") == _("The ID number is mistyped: its last character does not match.")
    _type(view, "applicant_id", VALID_ID.lower())
    assert not _shown(error)
    assert view.rows["applicant_id"].info.cget("text") == id_details(VALID_ID, TODAY).describe()
    assert view.rows["applicant_id"].input.entry.get() == VALID_ID
    view.scroller.yview_moveto(0.45)
    screenshot(root, "form-SJ-DBSQ-001-typed")

    view.groups["members"].remove_buttons[0].invoke()
    assert view.form_state["members"].rows == 2
    assert view.rows["members[0].member_name"].input.entry.get() == "李四"
    assert total.get() == "300.00"


def test_enter_moves_on_and_choices_commit_at_once(root) -> None:
    view = _form(root, "SJ-DBSQ-001")
    name = view.rows["applicant_name"].input.entry
    name.focus_force()
    name.insert(0, "欧阳明珠")
    name.event_generate("<Return>")
    root.update()
    assert root.focus_get() == view.rows["applicant_id"].input.entry
    assert view.presenter.answers["applicant_name"] == "欧阳明珠"

    reasons = view.rows["hardship_reason"].input
    reasons.focusables[2].invoke()
    reasons.focusables[0].invoke()
    assert view.presenter.answers["hardship_reason"] == ["illness", "old_age"]

    relation = view.rows["members[0].member_relation"].input.box
    relation.set("配偶")
    relation.event_generate("<<ComboboxSelected>>")
    assert view.presenter.answers["members"][0]["member_relation"] == "spouse"


def test_enter_skips_hidden_fields_and_tab_leaves_a_long_text(root) -> None:
    view = _form(root, "FL-GLJT-001")
    yes, no = view.rows["by_proxy"].input.focusables
    for choice, following in ((no, "bank_account"), (yes, "proxy_name")):
        choice.focus_force()
        choice.invoke()
        choice.event_generate("<Return>")
        root.update()
        assert root.focus_get() == view.rows[following].input.focusables[0]

    view = _form(root, "SJ-DBSQ-001")
    text = view.rows["hardship_description"].input.text
    text.focus_force()
    text.insert("1.0", "因病致贫")
    text.event_generate("<Tab>")
    root.update()
    assert root.focus_get() == view.rows["members[0].member_name"].input.entry
    assert view.presenter.answers["hardship_description"] == "因病致贫"


def test_a_date_picked_from_the_calendar_is_stored(root) -> None:
    view = _form(root, "HJ-CSDJ-001")
    picker = view.rows["child_birth_date"].input.picker
    picker.set_date(datetime.date(2026, 11, 1))
    picker.event_generate("<<DateEntrySelected>>")
    assert view.presenter.answers["child_birth_date"] == "2026-11-01"


def test_calculated_fields_of_any_type_are_read_only_text(root) -> None:
    view = _form(root, "ZJ-JGYS-001", {"approved_area": "120", "actual_area": "110.5"})
    within = view.rows["within_approved_area"].input
    assert within.focusables == [] and within.entry.get() == _("Yes")
    assert view.rows["area_difference"].input.entry.get() == "-9.5"
    _type(view, "actual_area", "130")
    assert within.entry.get() == _("No")


def test_missing_answers_show_on_leaving_and_on_request(root) -> None:
    view = _form(root, "FL-GLJT-001")
    assert not _shown(view.rows["applicant_name"].error)
    _type(view, "applicant_name", "")
    assert view.rows["applicant_name"].error.cget("text") == _("This field is required.")
    assert not _shown(view.rows["applicant_phone"].error)
    assert view.show_problems() is False
    assert _shown(view.rows["applicant_phone"].error)


def test_typing_is_kept_without_leaving_the_field(root) -> None:
    calls: list = []
    states: list = []
    view = _form(root, "HJ-CSDJ-001", calls=calls, states=states)
    date = view.rows["child_birth_date"].input.focusables[0]
    date.insert(0, "2026年11月3日")
    view.commit()
    assert calls[-1][0]["child_birth_date"] == "2026-11-03"
    assert date.get() == "2026-11-03"
    assert view.rows["days_since_birth"].input.entry.get() == "20"
    late = view.rows["late_reason"]
    assert not _shown(late.cell)
    _type(view, "child_birth_date", "2026年9月1日", key="<FocusOut>")
    assert _shown(late.cell) and date.get() == "2026-09-01"
    late.input.text.insert("1.0", "外出务工\n未能及时登记")
    view.commit()
    assert calls[-1][0]["late_reason"] == "外出务工\n未能及时登记"
    assert states[-1] is view.form_state and states[-1]["late_reason"].text.startswith("外出")


def test_a_credit_code_warning_is_accepted_with_a_reason(root) -> None:
    view = _form(root, "JY-JYCYZ-001")
    status = view.rows["employment_status"].input.box
    employed = view.presenter.matter.field("employment_status").choice_label("employed")
    status.set(employed)
    status.event_generate("<<ComboboxSelected>>")
    assert _shown(view.rows["employer_credit_code"].cell)
    _type(view, "employer_credit_code", BAD_CHECK_CREDIT_CODE)
    warning = view.rows["employer_credit_code"].warning
    assert _shown(warning.box) and warning.message.cget("text")
    assert view.form_state["employer_credit_code"].problem
    view.scroller.yview_moveto(0.3)
    screenshot(root, "form-credit-code-warning")
    warning.reason.insert(0, "与营业执照核对一致")
    warning.reason.event_generate("<FocusOut>")
    assert view.presenter.overrides == {"employer_credit_code": "与营业执照核对一致"}
    assert not view.form_state["employer_credit_code"].problem


@pytest.mark.parametrize(("code", "scale"), [
    ("FL-GLJT-001", 1.0),
    ("YB-CBDJ-001", 1.0),
    ("JY-JYCYZ-001", 1.0),
    ("NB-NJGZ-001", 1.0),
    ("HJ-CSDJ-001", 1.0),
    ("FL-GLJT-001", 1.4),
])
def test_matters_render_every_field(root, code: str, scale: float) -> None:
    view = _form(root, code, dict(APPLICANT), scale=scale)
    for field in view.presenter.matter.fields:
        widgets = view.groups.get(field.id) or view.rows.get(field.id)
        assert widgets is not None, field.id
    for path, state in view.form_state.fields.items():
        if path in view.rows:
            assert _shown(view.rows[path].cell) == state.visible, path
    assert view.rows["applicant_id"].info.cget("text")
    assert view.rows["applicant_address"].input.entries["county"].get() == "单县"
    name = "form-" + code + ("-large" if scale > 1 else "")
    assert screenshot(root, name).stat().st_size > 0
