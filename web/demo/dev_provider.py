"""The dev identity provider: ``python -m web.demo.dev_provider [--port 9400]``.

Runs ``oidc-provider-mock`` on loopback with every demo person predefined (their claims from
``web.demo.sso.demo_people``), so its login page offers one button per person. Never for
production: it signs in anyone as anyone.
"""

from __future__ import annotations

import argparse
import os


def build_app(require_nonce: bool = True):
    import warnings

    with warnings.catch_warnings():
        # oidc-provider-mock imports Authlib modules that Authlib has deprecated.
        warnings.simplefilter("ignore", DeprecationWarning)
        import oidc_provider_mock

    from web.demo.sso import demo_people

    users = [
        oidc_provider_mock.User(sub=p["sub"], claims={k: v for k, v in p.items() if k != "sub"})
        for p in demo_people()
    ]
    return oidc_provider_mock.app(require_nonce=require_nonce, user_claims=users)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9400)
    args = parser.parse_args(argv)
    # Authlib's server side refuses plain http unless told that this is a test setup.
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    from werkzeug.serving import run_simple

    print(
        f"Dev identity provider on http://{args.host}:{args.port}/ (demo people only)", flush=True
    )
    run_simple(
        args.host, args.port, build_app(), threaded=True, use_reloader=False, use_debugger=False
    )


if __name__ == "__main__":
    main()
