"""Whether a case may be submitted: the form evaluates clean, every material is there and,
for a returned case, every point of the township's checklist that names a material has
pages added since the return or was marked resolved by the agent with a note."""

from __future__ import annotations

from typing import Any

import forms
from station import supplements
from station.i18n import _
from station.lifecycle import CaseState
from station.models import Case, DeferredMaterial, MaterialFile, MaterialRequirement


def problems(case: Case, matter: Any) -> list[str]:
    """What still keeps ``case`` from being submitted, in words for the agent ([] = ready).

    ``matter`` is the ``forms`` definition the case was started with.
    """
    evaluation = forms.evaluate(matter, case.answers, overrides=case.overrides)
    found = [issue.message for issue in evaluation.errors]
    found += [issue.message for issue in evaluation.warnings]
    needed = {requirement.code for requirement in evaluation.materials}
    for requirement in case.requirements.order_by(MaterialRequirement.position):
        if requirement.code in needed and not _present(requirement):
            found.append(
                _("Material missing: {name} (add pages or accept it missing with a date)").format(
                    name=requirement.name
                )
            )
    return found + supplement_problems(case)


def supplement_problems(case: Case) -> list[str]:
    """The checklist points that still keep a returned case from being resubmitted."""
    if CaseState(case.state) is not CaseState.RETURNED:
        return []
    return [
        _(
            "Returned by the township: {name} ({reason}). Add pages to this material, "
            "or mark the point resolved with a note."
        ).format(name=entry.name, reason=entry.reason)
        for entry in supplements.checklist(case)
        if entry.blocking
    ]


def _present(requirement: MaterialRequirement) -> bool:
    pages = requirement.pages.where(MaterialFile.blob_name.is_null(False)).count()
    deferred = requirement.deferrals.where(DeferredMaterial.fulfilled_at.is_null()).count()
    return bool(pages or deferred)
