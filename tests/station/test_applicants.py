"""Applicants: validated and normalised once, never duplicated, found again by prefix."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from forms.errors import ValidationError
from forms.validators import (
    InvalidIdNumberError,
    InvalidNameError,
    InvalidPhoneError,
    id_check_char,
)
from station.applicants import ApplicantInput, ApplicantNotFoundError, DuplicateApplicantError
from station.models import Applicant, AuditEvent

OUYANG_ID = "11010519491231002X"
HEBEI_ID = "130102198001011232"  # starts with 13, like a mobile number


def _save(session, name: str = "欧阳明珠", id_number: str | None = None, phone: str | None = None,
          **extra):
    return session.applicants.save(ApplicantInput(name, id_number, phone, **extra))


def _stored(applicant: Applicant) -> tuple:
    row = Applicant.get(Applicant.uuid == applicant.uuid)
    return row.name, row.id_number, row.birth_date, row.sex, row.phone


def _counts() -> tuple[int, int]:
    return Applicant.select().count(), AuditEvent.select().count()


def _last_audit() -> AuditEvent:
    return AuditEvent.select().order_by(AuditEvent.id.desc()).get()


@pytest.mark.parametrize(
    "typed, stored",
    [
        (
            ("欧阳明珠", "11010519491231002x", "13800138000"),
            ("欧阳明珠", OUYANG_ID, date(1949, 12, 31), "F", "13800138000"),
        ),
        (
            (" 欧阳 明珠 ", " 1101 0519 4912 3100 2x ", "+86 138-0013-8000"),
            ("欧阳明珠", OUYANG_ID, date(1949, 12, 31), "F", "13800138000"),
        ),
        (
            ("阿卜杜•热合曼", "110105491231002", "(010) 6512 3456"),
            ("阿卜杜·热合曼", OUYANG_ID, date(1949, 12, 31), "F", "010-65123456"),
        ),
        (
            ("ＪＯＨＮ  Smith", HEBEI_ID, "０１０－６５１２３４５６"),
            ("JOHN Smith", HEBEI_ID, date(1980, 1, 1), "M", "010-65123456"),
        ),
        (("王芳", None, None), ("王芳", None, None, None, None)),
    ],
)
def test_save_validates_and_normalises(session, typed, stored) -> None:
    applicant = _save(session, *typed)
    assert _stored(applicant) == stored
    assert _stored(applicant) == (
        applicant.name, applicant.id_number, applicant.birth_date, applicant.sex, applicant.phone
    )


def test_address_is_kept_and_empty_means_none(session) -> None:
    address = {"village": "东村", "group": "三组"}
    assert Applicant.get_by_id(_save(session, address=address).id).address == address
    assert Applicant.get_by_id(_save(session, "王芳").id).address is None


def test_creation_is_audited_without_personal_data(session) -> None:
    applicant = _save(session, id_number=OUYANG_ID, phone="13800138000")
    last = _last_audit()
    assert (last.action, last.object_type) == ("create", "applicant")
    assert last.object_id == applicant.uuid
    row = json.dumps([last.object_id, last.detail], ensure_ascii=False)
    assert not any(secret in row for secret in ("欧阳", OUYANG_ID[:10], "1380013"))


@pytest.mark.parametrize(
    "typed, error, code",
    [
        (("王", None, None), InvalidNameError, "length"),
        (("王2芳", None, None), InvalidNameError, "charset"),
        (("王芳Li", None, None), InvalidNameError, "charset"),
        (("   ", None, None), InvalidNameError, "length"),
        (("王芳", "11010519491231002Y", None), InvalidIdNumberError, "charset"),
        (("王芳", "110105194912310021", None), InvalidIdNumberError, "checksum"),
        (("王芳", "1101051949123100", None), InvalidIdNumberError, "length"),
        (("王芳", "990105194912310020", None), InvalidIdNumberError, "region"),
        (("王芳", None, "1380013800"), InvalidPhoneError, "format"),
        (("王芳", None, "12800138000"), InvalidPhoneError, "format"),
        (("王芳", None, "call me"), InvalidPhoneError, "format"),
    ],
)
def test_invalid_input_raises_and_saves_nothing(session, typed, error, code) -> None:
    existing = _save(session, "李四", HEBEI_ID, "13912345678")
    before = (_counts(), _stored(existing))
    with pytest.raises(error) as raised:
        _save(session, *typed)
    assert isinstance(raised.value, ValidationError)
    assert raised.value.code == code
    with pytest.raises(error):
        session.applicants.save(ApplicantInput(*typed), existing.uuid)
    assert (_counts(), _stored(existing)) == before


def test_same_id_number_updates_the_applicant(session) -> None:
    first = _save(session, "欧阳明珠", OUYANG_ID, "13800138000")
    again = _save(session, "欧阳 明珠", "110105 19491231 002x", "13912345678")
    legacy = _save(session, "欧阳明珠", "110105491231002", "13912345679")
    assert again.uuid == first.uuid == legacy.uuid
    assert Applicant.select().count() == 1
    assert _stored(first)[-1] == "13912345679"
    assert Applicant.get_by_id(first.id).created_at == first.created_at
    assert _last_audit().action == "edit"


def test_update_by_uuid(session, clock) -> None:
    from datetime import timedelta

    first = _save(session, "王芳")
    clock.advance(timedelta(hours=1))
    updated = session.applicants.save(ApplicantInput("王芳芳", OUYANG_ID), first.uuid)
    row = Applicant.get_by_id(first.id)
    assert (updated.uuid, row.name, row.id_number) == (first.uuid, "王芳芳", OUYANG_ID)
    assert (row.created_at, row.updated_at) == (first.created_at, clock.now())
    assert Applicant.select().count() == 1


def test_update_cannot_take_another_applicants_id_number(session) -> None:
    holder = _save(session, "欧阳明珠", OUYANG_ID)
    other = _save(session, "王芳", HEBEI_ID)
    before = (_counts(), _stored(holder), _stored(other))
    with pytest.raises(DuplicateApplicantError) as raised:
        session.applicants.save(ApplicantInput("王芳", OUYANG_ID.lower()), other.uuid)
    assert OUYANG_ID[:6] not in str(raised.value)
    assert (_counts(), _stored(holder), _stored(other)) == before
    assert Applicant.select().where(Applicant.id_number == OUYANG_ID).count() == 1


def test_unknown_uuid(session) -> None:
    before = _counts()
    with pytest.raises(ApplicantNotFoundError):
        session.applicants.save(ApplicantInput("王芳"), "no-such-applicant")
    with pytest.raises(ApplicantNotFoundError):
        session.applicants.get("no-such-applicant")
    assert _counts() == before


def test_get_records_a_view(session, applicant) -> None:
    assert session.applicants.get(applicant.uuid).id == applicant.id
    last = _last_audit()
    assert (last.action, last.object_id, last.agent_login) == ("view", applicant.uuid, "wang")


# --- search ---------------------------------------------------------------------------------


@pytest.fixture
def people(session) -> dict[str, Applicant]:
    rows = [
        ("ouyang", "欧阳明珠", OUYANG_ID, "13800138000"),
        ("ouyang_xiu", "欧阳修", None, "13700137000"),
        ("wang", "王欧阳", None, None),
        ("hebei", "李四", HEBEI_ID, None),
        ("phone13", "张三", None, "13912345678"),
        ("landline", "赵六", None, "010-65123456"),
        ("john", "John Smith", None, None),
    ]
    return {key: _save(session, name, number, phone) for key, name, number, phone in rows}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("欧阳", {"ouyang", "ouyang_xiu"}),
        ("欧阳明", {"ouyang"}),
        ("王", {"wang"}),
        ("阳", set()),
        ("110105", {"ouyang"}),
        ("11010519491231002x", {"ouyang"}),
        ("13", {"ouyang", "ouyang_xiu", "hebei", "phone13"}),
        ("130", {"hebei"}),
        ("1301021980", {"hebei"}),
        ("139", {"phone13"}),
        ("1380013", {"ouyang"}),
        ("010-6512", {"landline"}),
        ("John", {"john"}),
        ("Jo", {"john"}),
        (" 欧阳明珠 ", {"ouyang"}),
        ("14", set()),
    ],
)
def test_search_by_prefix(session, people, text, expected) -> None:
    found = session.applicants.search(text)
    names = {key for key, person in people.items() if person.uuid in {f.uuid for f in found}}
    assert names == expected
    assert len(found) == len(expected)


def test_search_orders_by_name_and_limits(session, people) -> None:
    found = session.applicants.search("13")
    assert [f.name for f in found] == sorted(f.name for f in found)
    assert len(session.applicants.search("13", limit=2)) == 2


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_search_finds_nothing(session, people, text) -> None:
    assert session.applicants.search(text) == []


@pytest.mark.parametrize(
    "text, by", [("欧阳", "name"), ("1301021980", "number"), ("1380013", "number")]
)
def test_search_is_audited_without_the_query(session, people, text, by) -> None:
    hits = len(session.applicants.search(text))
    last = _last_audit()
    assert (last.action, last.object_type, last.object_id) == ("search", "applicant", None)
    assert last.detail == {"by": by, "hits": hits}
    assert text not in json.dumps(last.detail, ensure_ascii=False)


_REGIONS = ["110105", "130102", "440305"]


@st.composite
def id_numbers(draw) -> str:
    born = draw(st.dates(date(1920, 1, 1), date(2020, 12, 31)))
    body = f"{draw(st.sampled_from(_REGIONS))}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return body + id_check_char(body)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(number=id_numbers(), cut=st.integers(1, 18))
def test_every_prefix_of_a_saved_id_number_finds_it(session, number, cut) -> None:
    saved = _save(session, "测试人", number.lower())
    assert saved.id_number == number
    found = session.applicants.search(number[:cut].lower(), limit=1000)
    assert saved.uuid in {f.uuid for f in found}
    assert Applicant.select().where(Applicant.id_number == number).count() == 1


def test_search_finds_names_with_characters_beyond_the_basic_plane(session) -> None:
    rare = "王\U00020000明"  # a CJK Extension B character, as in rare given names
    session.applicants.save(ApplicantInput(name=rare))
    assert [a.name for a in session.applicants.search("王")] == [rare]
