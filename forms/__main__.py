"""Command line of the forms package: ``python -m forms check DIR``.

``check`` loads a catalog directory, prints a summary and exits 0, or prints one line per
problem (file, matter, field and message) on stderr and exits 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from forms.catalog import Catalog, check_catalog_dir, summary
from forms.i18n import _


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m forms", description=_("Catalog tools."))
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help=_("Validate a catalog directory."))
    check.add_argument("directory", help=_("The catalog directory (with catalog.yaml)."))
    arguments = parser.parse_args(argv)
    return run_check(arguments.directory, sys.stdout, sys.stderr)


def run_check(directory: str, out: TextIO, err: TextIO) -> int:
    """Check the catalog in ``directory``; print its summary or its problems."""
    catalog, problems = check_catalog_dir(directory)
    if problems or catalog is None:
        for problem in problems:
            print(" ".join(str(problem).split("\n")), file=err)
        print(_("{count} problem(s) found.").format(count=len(problems)), file=err)
        return 1
    print_summary(catalog, out)
    return 0


def print_summary(catalog: Catalog, out: TextIO) -> None:
    """Print what ``catalog`` holds."""
    counts = summary(catalog)
    print(
        _("Catalog {id} version {version} ({title}), published {published}.").format(
            id=catalog.id,
            version=catalog.version,
            title=catalog.title,
            published=catalog.published.isoformat(),
        ),
        file=out,
    )
    print(_("Matters: {count}").format(count=counts["matters"]), file=out)
    for category, count in counts["categories"].items():
        print(f"  {category}: {count}", file=out)
    print(_("Fields: {count}").format(count=counts["fields"]), file=out)
    print(
        _("Materials: {count} ({deferrable} deferrable)").format(
            count=counts["materials"], deferrable=counts["deferrable"]
        ),
        file=out,
    )
    years = ", ".join(str(year) for year in counts["calendar_years"]) or _("none")
    print(_("Calendar years: {years}").format(years=years), file=out)


if __name__ == "__main__":
    sys.exit(main())
