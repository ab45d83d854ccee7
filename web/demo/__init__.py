"""The demo: two made-up municipalities (``flask demo``), their identity providers and commands.

Not the product: nothing under ``web/`` but the app factory's command registration imports it.
``municipality`` loads the tenants from ``data/`` through the ordinary CSV import, ``sso`` and
``saml`` point them at the dev identity provider (``python -m web.demo.dev_provider``) and the
SAML demo IdP.
"""
