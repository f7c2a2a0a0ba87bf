"""App updates in the real window under Xvfb, against a real township on 127.0.0.1: the
app tells its launcher it reached the login window; a release the township published is
downloaded during the session's first sync round, offered on home, and the agent's yes
makes the launcher start it next time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from securesystemslib.signer import CryptoSigner

from station import __version__
from station.appupdates import UpdateNews
from station.launchenv import APPS_ENV, HEALTH_ENV
from station.ui.presenters.home import update_line
from station.updates import Installation, LauncherState
from sync.engine.updates import Rollout
from sync.township.updates.keys import online_signers
from sync.township.updates.repository import ReleaseRepository
from sync.township.updates.serving import repository_dir
from tests.sync.test_app_updates import GOOD, release_zip
from tests.township.server import RunningTownship, running_township
from tests.ui.conftest import screenshot
from tests.ui.test_app_gui import log_in, pump
from tests.ui.test_sync_gui import make_app  # noqa: F401 - fixture
from tests.ui.test_sync_presenters import enrolled_station

pytestmark = pytest.mark.usefixtures("display")
NEXT = "99.0.0"


@pytest.fixture(autouse=True)
def english(monkeypatch) -> None:
    monkeypatch.setenv("LANGUAGE", "en")


@pytest.fixture
def township(tmp_path: Path) -> Iterator[RunningTownship]:
    """A township that has published release NEXT to every station."""
    with running_township(tmp_path / "township") as running:
        repository = ReleaseRepository(repository_dir(running.data_dir),
                                       online_signers(running.service.keys))
        repository.init_root([CryptoSigner.generate_ed25519()], 1)
        repository.add(release_zip(tmp_path, NEXT, GOOD), Rollout(NEXT))
        yield running


@pytest.fixture
def apps(tmp_path: Path, monkeypatch) -> Installation:
    """The apps directory the launcher named, the running version current in it."""
    installation = Installation(tmp_path / "apps")
    installation.install(release_zip(tmp_path, __version__, GOOD), __version__)
    installation.save(LauncherState(__version__))
    monkeypatch.setenv(APPS_ENV, str(installation.root))
    return installation


def test_the_login_window_tells_the_launcher_it_is_healthy(
        station_dir: Path, session, make_app, tmp_path, monkeypatch) -> None:  # noqa: F811
    health = tmp_path / "health"
    monkeypatch.setenv(HEALTH_ENV, str(health))
    session.close()
    app = make_app(station_dir)
    pump(app, health.exists)
    assert type(app.screen).__name__ == "LoginView"


def test_a_published_release_is_offered_on_home_and_chosen(
        station_dir: Path, session, township, apps, make_app) -> None:  # noqa: F811
    enrolled_station(session, township)
    session.close()
    app = make_app(station_dir)
    log_in(app)
    home = app.screen
    pump(app, lambda: home.update_bar.winfo_ismapped())
    assert home.update_text.cget("text") == f"Version {NEXT} of the station app is ready."
    assert (apps.versions / NEXT / "app.json").exists()
    screenshot(app.root, "update-offered")
    home.update_button.invoke()
    assert apps.state().pending == NEXT
    assert home.update_text.cget("text") == (
        f"Version {NEXT} starts the next time the app is opened.")
    assert not home.update_button.winfo_ismapped()


@pytest.mark.parametrize("news, expected", [
    (None, ""),
    (UpdateNews("2.0.0", 512, 2048), "Downloading app update 2.0.0: 25 %"),
    (UpdateNews(ready="2.0.0"), ""),
    (UpdateNews(problem="The update was refused."), "The update was refused."),
])
def test_the_sync_bar_line_about_updates(news: UpdateNews | None, expected: str) -> None:
    assert update_line(news) == expected
