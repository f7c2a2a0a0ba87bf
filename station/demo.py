"""A demo station for trying the app: fictional villagers, drafts from the bundled catalog.

The people and ID numbers are made up (valid in form, with a real region code of a
county and computed check characters); they belong to no one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assets import ROOT as ASSETS
from forms.catalog import Catalog, load_catalog_dir
from forms.validators import id_check_char
from station import session as sessions
from station.applicants import ApplicantInput
from station.caselist import count_cases
from station.i18n import _

BUNDLED_CATALOG = ASSETS / "catalog"
DEMO_LOGIN = "demo"
DEMO_PASSWORD = "demo-pass-2026"
DEMO_SETUP = sessions.StationSetup(
    code="DEMO01",
    name="示范村便民服务站",
    township="示范镇",
    login=DEMO_LOGIN,
    display_name="示范代办员",
    password=DEMO_PASSWORD,
)
_ADDRESS = {
    "province": "河南省",
    "city": "安阳市",
    "county": "安阳县",
    "township": "示范镇",
    "village": "示范村",
}
# (name, birth date, sequence, phone, matter code)
_VILLAGERS = (
    ("张秀英", "19440312", "022", "13903720001", "FL-GLJT-001"),
    ("李建国", "19780605", "011", "13903720002", "YB-CBDJ-001"),
    ("王·阿依古丽", "19900921", "044", "13903720003", "YL-CBDJ-001"),
)


def demo_id_number(birth: str, sequence: str) -> str:
    """A fictional ID number from the demo county with a correct check character."""
    body = f"410522{birth}{sequence}"
    return body + id_check_char(body)


def bundled_catalog() -> Catalog:
    """The catalog shipped in ``assets/catalog``."""
    return load_catalog_dir(BUNDLED_CATALOG)


def ensure_demo(data_dir: Path) -> list[str]:
    """Create the demo station in ``data_dir`` unless it is there; say what was done."""
    data_dir = Path(data_dir)
    lines = []
    if not sessions.StationPaths(data_dir).exists():
        catalog = bundled_catalog()
        recovery = sessions.init_station(data_dir, DEMO_SETUP)
        lines.append(
            _("Created the demo station {code} in {path}.").format(
                code=DEMO_SETUP.code, path=data_dir
            )
        )
        lines.append(_("Its recovery code (demo only): {code}").format(code=recovery))
        with sessions.login(data_dir, DEMO_LOGIN, DEMO_PASSWORD) as session:
            lines += _file_demo_cases(session, catalog)
    else:
        lines.append(_("The demo station is already set up in {path}.").format(path=data_dir))
    with sessions.login(data_dir, DEMO_LOGIN, DEMO_PASSWORD) as session:
        lines.append(_("It holds {n} cases.").format(n=count_cases()))
        lines.append(
            _("Log in as '{login}' with the password '{password}'.").format(
                login=DEMO_LOGIN, password=DEMO_PASSWORD
            )
        )
        lines.append(
            _("Try: station --data-dir {path} info --user {login}").format(
                path=data_dir, login=session.agent.login
            )
        )
    return lines


def _file_demo_cases(session: sessions.Session, catalog: Catalog) -> list[str]:
    lines = []
    for name, birth, sequence, phone, matter_code in _VILLAGERS:
        matter = catalog.matter(matter_code)
        applicant = session.applicants.save(
            ApplicantInput(
                name=name, id_number=demo_id_number(birth, sequence), phone=phone, address=_ADDRESS
            )
        )
        answers = _answers_for(matter, applicant.name, applicant.id_number, phone)
        case = session.cases.create_draft(matter, catalog.version, applicant, answers)
        lines.append(
            _("Draft {number}: {matter}").format(number=case.local_number, matter=matter.name)
        )
    return lines


def _answers_for(matter: Any, name: str, id_number: str, phone: str) -> dict[str, Any]:
    """The applicant's own fields, filled in where the matter's form has them."""
    known = {field.id for field in matter.all_fields()}
    answers = {
        "applicant_name": name,
        "applicant_id": id_number,
        "applicant_phone": phone,
        "applicant_address": _ADDRESS,
    }
    return {key: value for key, value in answers.items() if key in known}
