"""The SAML demo of ``make run``: ``flask demo``'s demo-saml tenant logs in through the samlify
IdP started as the Procfile's ``samlidp`` process starts it (its key and accounts from
``instance/saml-demo``)."""

from __future__ import annotations

import re
import shlex

import requests

from tests.auth.flows import SamlFlow
from tests.auth.test_login import roles_of, user_by_subject
from tests.auth.test_saml_node_idp import IDP_DIR, ensure_installed, posted_response
from tests.services import ROOT, Process, child_env, free_port, serving
from web.demo.municipality import load_demo
from web.demo.saml import DEMO_SAML_SLUG, SAML_IDP_URL, files_dir, saml_idp_url
from web.extensions import db
from web.tenants.models import Tenant


def procfile_env() -> dict[str, str]:
    line = re.search(r"^samlidp:\s*(.+)$", (ROOT / "Procfile").read_text(), re.MULTILINE)
    assert line, "Procfile has no samlidp process"
    words = shlex.split(line.group(1))
    assert words[-2:] == ["node", "tests/auth/saml_node_idp/idp.mjs"]
    # The shell's defaults, as `make run` has them (no PORT, INSTANCE_PATH or SAML_IDP_PORT set).
    defaults = [re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", w) for w in words[:-2]]
    return dict(w.split("=", 1) for w in defaults)


def test_procfile_runs_the_idp_where_the_demo_expects_it(monkeypatch):
    env = procfile_env()
    assert f"http://127.0.0.1:{env['SAML_IDP_PORT']}" == SAML_IDP_URL
    monkeypatch.setenv("SAML_IDP_PORT", "9612")
    assert saml_idp_url() == "http://127.0.0.1:9612"
    assert env["IDP_KEY"] == "instance/saml-demo/idp.key"
    assert env["ACCOUNTS_FILE"] == "instance/saml-demo/accounts.json"
    assert env["SP_METADATA"].endswith(f"/t/{DEMO_SAML_SLUG}/auth/saml/metadata")


def test_demo_saml_tenant_logs_in_through_the_demo_idp(app, client, db_session, tmp_path):
    ensure_installed()
    with app.app_context():
        load_demo()
        db.session.commit()
        folder = files_dir()
        tenant = db.session.scalar(db.select(Tenant).filter_by(slug=DEMO_SAML_SLUG))
    port = free_port()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["sso", "saml-demo", "--idp-url", f"http://127.0.0.1:{port}"])
    assert result.exit_code == 0, result.output
    (tmp_path / "sp.xml").write_bytes(client.get(f"/t/{DEMO_SAML_SLUG}/auth/saml/metadata").data)
    env = {
        **procfile_env(),
        "SAML_IDP_PORT": str(port),
        "IDP_KEY": str(folder / "idp.key"),
        "IDP_CERT": str(folder / "idp.crt"),
        "ACCOUNTS_FILE": str(folder / "accounts.json"),
        "SP_METADATA": str(tmp_path / "sp.xml"),
    }
    process = Process(["node", "idp.mjs"], child_env(**env), tmp_path / "idp.log", cwd=IDP_DIR)
    with serving(process, f"http://127.0.0.1:{port}/metadata", "the demo IdP"):
        flow = SamlFlow(client, tenant)
        start = client.get(f"/t/{DEMO_SAML_SLUG}/auth/login")
        chooser = requests.get(start.headers["Location"], timeout=60)
        assert 'value="birgitte.admin"' in chooser.text  # one button per demo person
        token = re.search(r'name="token" value="([^"]+)"', chooser.text).group(1)
        answer = requests.get(
            f"http://127.0.0.1:{port}/sso",
            params={"token": token, "user": "birgitte.admin"},
            timeout=60,
        )
        reply = flow.complete(posted_response(answer.text))
        assert reply.status_code == 302, reply.get_data(as_text=True)[:500]
        user = user_by_subject(app, tenant, "birgitte.admin")
        assert user.display_name == "Birgitte Holm"
        assert ("admin", "sso") in roles_of(app, tenant, user)
