"""The township's web console for township staff and admins, served by the same FastAPI app
as the sync API under ``/console/`` (``docs/adr/0008-township-web-framework.md``).

Server-rendered pages (Jinja2, Chinese through gettext), plain forms (POST, redirect, GET)
with a CSRF token each, no JavaScript, one local stylesheet. Accounts are created with
``township user add``; reviewers work on cases, reconciliation and bundles, admins also
manage stations and read the audit log.

A console with a demo reviewer::

    export TOWNSHIP_DATA=/tmp/township TOWNSHIP_PASSPHRASE=demo-passphrase
    township init --name 示范乡
    TOWNSHIP_USER_PASSWORD=reviewer-password township user add reviewer --role reviewer
    township serve          # then open http://127.0.0.1:8470/console/

Tests start one with cases, pages and stations in it through
``tests/console/seed.py`` (``seeded_console``).
"""

from sync.township.console.app import install_console

__all__ = ["install_console"]
