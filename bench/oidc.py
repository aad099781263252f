"""Sign-in for the browser tests and the load figures, offline: a real OpenID Connect provider.

``oidc-provider-mock`` (a small Flask provider built on Authlib) runs on a free localhost port
with predefined clinicians; a temporary ``secrets.toml`` holds Streamlit's single-provider
``[auth]`` section pointing at it, and the dashboard is started with ``STREAMLIT_SECRETS_FILES``
naming that file (so the repository's ``.streamlit/`` is never written, and a developer's own
``secrets.toml`` there is not read). :func:`sign_in` walks the real flow in Chromium: the
dashboard's "Sign in" button -> the provider's authorisation page -> ``/oauth2callback`` -> the
dashboard with Streamlit's signed identity cookie.
"""
from __future__ import annotations

import json
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import browser as launcher

#: Seconds the provider may take to answer its discovery document.
PROVIDER_START_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Clinician:
    """A user known to the test provider: the OIDC ``sub`` and the claims it issues."""

    sub: str
    email: str
    name: str

    def claims_json(self) -> str:
        return json.dumps({"sub": self.sub, "email": self.email, "name": self.name})


#: Made-up clinicians (no real person): enough for the load figures' sessions and warm-up.
CLINICIANS: tuple[Clinician, ...] = tuple(
    Clinician(sub=f"clinician-{i:02d}", email=f"clinician{i:02d}@hospital.example",
              name=f"Dr Test {chr(ord('A') + i - 1)}") for i in range(1, 22))


@dataclass(frozen=True)
class Provider:
    """A running ``oidc-provider-mock`` process."""

    process: subprocess.Popen
    url: str
    log_path: Path

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"


@contextmanager
def running_provider(users: Sequence[Clinician] = CLINICIANS) -> Iterator[Provider]:
    """``oidc-provider-mock`` on a free 127.0.0.1 port with ``users`` predefined; stopped after.

    Raises
    ------
    RuntimeError
        The provider exited or did not answer its discovery document in time (with its log).
    """
    port = launcher.free_port()
    log = tempfile.NamedTemporaryFile(prefix="medcore-oidc-", suffix=".log", delete=False)
    command = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1",
               "--port", str(port)]
    for user in users:
        command += ["--user-claims", user.claims_json()]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()
    provider = Provider(process=process, url=f"http://127.0.0.1:{port}", log_path=Path(log.name))
    try:
        if not wait_for_url(provider.metadata_url, process, PROVIDER_START_TIMEOUT_S):
            log = provider.log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"oidc-provider-mock did not answer {provider.metadata_url} "
                               f"within {PROVIDER_START_TIMEOUT_S:.0f} s. Its log:\n{log}")
        yield provider
    finally:
        launcher.stop_process(process)
        Path(log.name).unlink(missing_ok=True)


def wait_for_url(url: str, process: subprocess.Popen, timeout_s: float) -> bool:
    """Poll ``url`` until it answers 200 (True), ``process`` exits or ``timeout_s`` passes."""
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.1)
    return False


def write_secrets(folder: Path, *, provider: Provider, dashboard_port: int) -> Path:
    """Write Streamlit's single-provider ``[auth]`` section for ``provider`` into ``folder``.

    The cookie secret and client secret are random per run (the mock provider accepts any
    client); the file is owner-readable only.
    """
    path = Path(folder) / "secrets.toml"
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{dashboard_port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "medcore-tests"\n'
        f'client_secret = "{secrets.token_hex(16)}"\n'
        f'server_metadata_url = "{provider.metadata_url}"\n', encoding="utf-8")
    path.chmod(0o600)
    return path


@contextmanager
def dashboard_with_sign_in(users: Sequence[Clinician] = CLINICIANS, *,
                           env: dict[str, str] | None = None,
                           timeout: float = 60.0) -> Iterator[launcher.DashboardServer]:
    """A fresh ``streamlit run dashboard.py`` whose ``[auth]`` points at a fresh local provider.

    Nothing is written in the repository: the secrets live in a temporary folder removed
    afterwards. ``env`` adds variables for the server (e.g. ``MEDCORE_AUDIT_LOG``).
    """
    with tempfile.TemporaryDirectory(prefix="medcore-auth-") as folder, \
            running_provider(users) as provider:
        port = launcher.free_port()
        secrets_file = write_secrets(Path(folder), provider=provider, dashboard_port=port)
        server = launcher.start_dashboard(
            port=port, env={**(env or {}), "STREAMLIT_SECRETS_FILES": str(secrets_file)})
        try:
            launcher.wait_until_healthy(server, timeout=timeout)
            yield server
        finally:
            launcher.stop_dashboard(server)


#: The dashboard's sign-in button (ui/auth.py) and the sidebar line naming the signed-in user.
SIGN_IN_BUTTON = "Sign in"
SIGNED_IN_AS = "Signed in as"


def sign_in(page: Any, server: launcher.DashboardServer, user: Clinician, *, path: str = "",
            timeout_ms: float = 60_000) -> None:
    """Sign ``user`` in through the provider's authorisation page, starting at ``path``.

    Returns when the dashboard's sidebar names the user.
    """
    page.goto(server.url + path)
    page.get_by_role("button", name=SIGN_IN_BUTTON, exact=True).click(timeout=timeout_ms)
    # The provider's page: one button per predefined user, named by its ``sub``.
    page.get_by_role("button", name=user.sub, exact=True).click(timeout=timeout_ms)
    page.locator('[data-testid="stSidebar"]').get_by_text(
        f"{SIGNED_IN_AS} {user.name}").wait_for(timeout=timeout_ms)
    launcher.wait_for_app_idle(page, timeout_ms)


def sign_out(page: Any, timeout_ms: float = 60_000) -> None:
    """Press the sidebar's "Sign out" and confirm the provider's end-of-session page, if shown.

    Returns when the dashboard's sign-in screen is back.
    """
    page.locator('[data-testid="stSidebar"]').get_by_role(
        "button", name="Sign out", exact=True).click(timeout=timeout_ms)
    sign_in_button = page.get_by_role("button", name=SIGN_IN_BUTTON, exact=True)
    # oidc-provider-mock asks to confirm RP-initiated logout, then redirects back.
    confirm = page.get_by_role("button", name="End session", exact=True)
    sign_in_button.or_(confirm).first.wait_for(timeout=timeout_ms)
    if confirm.count():
        confirm.first.click()
    sign_in_button.wait_for(timeout=timeout_ms)

