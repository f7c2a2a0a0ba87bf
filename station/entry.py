"""The ``station`` console entry point.

Help texts are translated when ``station.cli`` defines its commands, so the language
(STATION_LANGUAGE, default zh_CN) is bound before that module is imported; ``--lang``
then switches the messages of one run.
"""

from station import i18n


def main() -> None:
    i18n.setup()
    from station.cli import main as cli

    cli()
