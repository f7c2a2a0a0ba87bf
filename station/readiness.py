"""Whether a case may be submitted: the form evaluates clean and every material is there."""

from __future__ import annotations

from typing import Any

import forms
from station.i18n import _
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
    return found


def _present(requirement: MaterialRequirement) -> bool:
    pages = requirement.pages.where(MaterialFile.blob_name.is_null(False)).count()
    deferred = requirement.deferrals.where(DeferredMaterial.fulfilled_at.is_null()).count()
    return bool(pages or deferred)
