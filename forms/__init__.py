"""Matter and form definitions: schema, validators, expressions, catalog, calendar.

Pure Python: no Tk, no database, no network, and nothing else of this project imported.
"""

from forms.evaluation import Evaluation, FieldIssue, evaluate

__all__ = ["Evaluation", "FieldIssue", "evaluate"]
