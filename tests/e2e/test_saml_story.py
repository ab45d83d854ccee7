"""The SAML demo municipality in a real browser: log in through the samlify IdP and out again.

The IdP (tests/auth/saml_node_idp/idp.mjs, the one ``make run`` starts) runs on ``localhost``
and the app on ``127.0.0.1``: two sites, so the IdP's POST to the ACS is cross-site and the
session cookie (SameSite=Lax) is not sent with it; the hand-off to a same-site GET is what
makes the login land in this browser's session.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.auth.test_saml_node_idp import IDP_DIR, ensure_installed
from tests.e2e.browser import DESKTOP
from tests.e2e.checks import check_page
from tests.services import Process, flask_command, free_port, serving

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def saml_idp(stack) -> Iterator[str]:
    ensure_installed()
    files = stack.logs / "saml-demo"
    port = free_port()
    idp_url = f"http://localhost:{port}"
    flask_command(stack.env, "sso", "saml-demo", "--idp-url", idp_url, "--files", str(files))
    env = {
        **stack.env,
        "SAML_IDP_PORT": str(port),
        "IDP_BASE": idp_url,
        "IDP_KEY": str(files / "idp.key"),
        "IDP_CERT": str(files / "idp.crt"),
        "ACCOUNTS_FILE": str(files / "accounts.json"),
        "SP_METADATA": f"{stack.base_url}/t/demo-saml/auth/saml/metadata",
    }
    process = Process(
        [shutil.which("node"), "idp.mjs"], env, stack.logs / "saml-idp.log", cwd=IDP_DIR
    )
    with serving(process, f"{idp_url}/metadata", "the samlify IdP"):
        yield idp_url


def test_saml_login_and_logout_in_the_browser(browser, stack, saml_idp):
    import json

    accounts = json.loads((stack.logs / "saml-demo" / "accounts.json").read_text())
    subject, name = next(
        (s, a["https://data.gov.dk/model/core/eid/fullName"][0])
        for s, a in accounts.items()
        if "aktorskab-leder" in a["urn:aktorskab:demo:groups"]
    )
    context = browser.new_context(locale="da-DK", viewport=DESKTOP)
    context.set_default_timeout(60_000)  # samlify validates each message with xmllint (wasm)
    page = context.new_page()
    try:
        page.goto(f"{stack.base_url}/t/demo-saml/")
        page.get_by_role("link", name="Log ind", exact=True).click()
        page.wait_for_url(f"{saml_idp}/sso**")
        page.get_by_role("button", name=name, exact=True).click()
        page.wait_for_url(f"{stack.base_url}/t/demo-saml/")
        assert name in page.locator("h1").inner_text()
        assert check_page(page, "da") == []

        page.get_by_role("button", name="Log ud").click()
        page.wait_for_url(f"{stack.base_url}/t/demo-saml/auth/logged-out")
        # Signed out for good: the tenant's page offers the login again.
        page.goto(f"{stack.base_url}/t/demo-saml/")
        assert page.get_by_role("link", name="Log ind", exact=True).count() == 1
    except Exception as exc:
        raise AssertionError(
            f"{page.url}\n{page.content()[:2000]}\n{stack.output()[-3000:]}"
            f"\n{(stack.logs / 'saml-idp.log').read_text()[-2000:]}"
        ) from exc
    finally:
        context.close()
