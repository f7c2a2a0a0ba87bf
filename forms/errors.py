"""Error types of the forms package.

Two families: a value that fails a rule (``ValidationError``, shown to the agent next to
the field) and bad data shipped by the catalog authors (``DefinitionError``,
``CatalogError``). Messages never carry personal data.
"""

from __future__ import annotations

from collections.abc import Iterable


class FormsError(Exception):
    """Base class of every error raised by ``forms``."""


class ValidationError(FormsError):
    """A value fails a rule; ``code`` is stable, the message is translated."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class DefinitionError(FormsError):
    """A matter definition is wrong; names the file, the matter and the field involved."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        matter: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.matter = matter
        self.field = field

    def located(
        self, *, file: str | None = None, matter: str | None = None, field: str | None = None
    ) -> DefinitionError:
        """Return a copy with missing location parts filled in from the arguments."""
        return DefinitionError(
            self.message,
            file=self.file or file,
            matter=self.matter or matter,
            field=self.field or field,
        )

    def __str__(self) -> str:
        located = (("file", self.file), ("matter", self.matter), ("field", self.field))
        parts = [f"{label}={value}" for label, value in located if value]
        return f"{' '.join(parts)}: {self.message}" if parts else self.message


class CatalogError(FormsError):
    """A catalog (directory or release) is malformed or inconsistent.

    ``problems`` lists the individual definition errors behind it, if any.
    """

    def __init__(self, message: str, problems: Iterable[DefinitionError] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems = tuple(problems)

    def __str__(self) -> str:
        return "\n".join([self.message, *(str(problem) for problem in self.problems)])


class CatalogSignatureError(CatalogError):
    """A catalog release is unsigned, signed by an unknown key, or tampered with."""
