"""pysaml2's service provider, built per tenant and per operation from the tenant's rows.

pysaml2 reads keys from files (xmlsec1 is a command), so each operation builds its config
inside ``keys.on_disk()``; building it costs a few milliseconds, which a login can afford, and
nothing tenant-specific stays in memory or on disk between requests.

RSA-SHA256 signs AuthnRequests (HTTP-Redirect binding: the signature is in the query string)
and the metadata. RSASSA-PSS does not work with the library here: pysaml2 7.5.5's
``saml2.xmldsig`` knows only PKCS#1 v1.5 RSA, DSA and ECDSA algorithm URIs, and Debian's
xmlsec1 1.2.37 lists no RSA-PSS transform (``xmlsec1 --list-transforms``). So Aktørskab neither
signs with PSS nor verifies it; an IdP must sign with RSA-SHA256 (or stronger PKCS#1/ECDSA).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import current_app, g, url_for

from web.auth.models import NSIS_LEVELS, NSIS_LOA_PREFIX, SsoSettings
from web.auth.saml import keys

if TYPE_CHECKING:
    from saml2.client import Saml2Client
    from saml2.config import SPConfig
    from saml2.samlp import RequestedAuthnContext

# pysaml2 is imported where it is used: importing it loads its XML schemas (about a second),
# which every process (CLI, worker, a tenant on OIDC) would pay at start otherwise.
XMLSEC_BINARY = "/usr/bin/xmlsec1"
BINDING_HTTP_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
BINDING_HTTP_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
SIG_RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
DIGEST_SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
NAME_FORMAT_URI = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
NAMEID_PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
METADATA_VALID_HOURS = 24 * 7


def _base() -> str:
    if current_app.config["ENV"] == "production":
        return current_app.config["BASE_URL"].rstrip("/")
    return url_for("t.tenants.home", _external=True).split("/t/", 1)[0]


def _url(endpoint: str) -> str:
    return _base() + url_for(endpoint)


@dataclass(frozen=True)
class Endpoints:
    entity_id: str
    acs: str
    slo: str


def endpoints() -> Endpoints:
    """The tenant's stable SP addresses (the metadata URL is the entityID)."""
    return Endpoints(
        entity_id=_url("t.auth.saml_metadata"),
        acs=_url("t.auth.saml_acs"),
        slo=_url("t.auth.saml_slo"),
    )


def _config(settings: SsoSettings | None, files: keys.KeyFiles) -> SPConfig:
    from saml2.config import SPConfig

    where = endpoints()
    spec = {
        "entityid": where.entity_id,
        "xmlsec_binary": XMLSEC_BINARY,
        "key_file": files.signing_key,
        "cert_file": files.signing_cert,
        "encryption_keypairs": [{"key_file": k, "cert_file": c} for k, c in files.pairs],
        "accepted_time_diff": 90,
        "allow_unknown_attributes": True,
        "name_form": NAME_FORMAT_URI,
        "organization": {
            "name": [(g.tenant.name, "da")],
            "display_name": [(g.tenant.name, "da")],
            "url": [(where.entity_id, "da")],
        },
        "service": {
            "sp": {
                "name": f"Aktørskab – {g.tenant.name}",
                "endpoints": {
                    "assertion_consumer_service": [(where.acs, BINDING_HTTP_POST)],
                    "single_logout_service": [(where.slo, BINDING_HTTP_REDIRECT)],
                },
                "name_id_format": [NAMEID_PERSISTENT],
                "authn_requests_signed": True,
                "want_assertions_signed": True,
                "want_response_signed": False,
                "want_assertions_or_response_signed": True,
                "allow_unsolicited": False,
                "logout_requests_signed": True,
                "signing_algorithm": SIG_RSA_SHA256,
                "digest_algorithm": DIGEST_SHA256,
            }
        },
    }
    if settings is not None and settings.saml_metadata_xml:
        spec["metadata"] = {"inline": [settings.saml_metadata_xml]}
    config = SPConfig()
    config.load(spec)
    return config


@contextmanager
def client(settings: SsoSettings) -> Iterator[Saml2Client]:
    from saml2.client import Saml2Client

    with keys.on_disk() as files:
        yield Saml2Client(config=_config(settings, files))


def metadata_xml(settings: SsoSettings | None) -> str:
    """The tenant's signed SP metadata, with every published certificate (rollover)."""
    from saml2.metadata import do_key_descriptor, entity_descriptor, sign_entity_descriptor
    from saml2.sigver import security_context

    with keys.on_disk() as files:
        config = _config(settings, files)
        config.valid_for = METADATA_VALID_HOURS
        descriptor = entity_descriptor(config)
        sp = descriptor.spsso_descriptor
        # pysaml2 publishes the signing certificate only: add the others of a rollover.
        for pem in files.certs[1:]:
            sp.key_descriptor.extend(do_key_descriptor(cert=_body(pem), use="both"))
        sp.want_assertions_signed = "true"
        sp.authn_requests_signed = "true"
        context = security_context(config)
        _, signed = sign_entity_descriptor(descriptor, None, context, SIG_RSA_SHA256, DIGEST_SHA256)
        return str(signed)


def _body(pem: str) -> str:
    return "".join(line for line in pem.strip().splitlines() if "-----" not in line)


def requested_context(level: str) -> RequestedAuthnContext:
    """The NSIS level asked for, and any stronger one (comparison "minimum")."""
    from saml2.saml import AuthnContextClassRef
    from saml2.samlp import RequestedAuthnContext

    return RequestedAuthnContext(
        authn_context_class_ref=[AuthnContextClassRef(text=NSIS_LOA_PREFIX + level)],
        comparison="minimum",
    )


def authn_redirect(settings: SsoSettings, relay_state: str) -> tuple[str, str]:
    """A signed AuthnRequest to the IdP (HTTP-Redirect): its ID and the URL to send to."""
    with client(settings) as sp:
        request_id, info = sp.prepare_for_authenticate(
            entityid=settings.issuer,
            relay_state=relay_state,
            binding=BINDING_HTTP_REDIRECT,
            nameid_format=NAMEID_PERSISTENT,
            requested_authn_context=requested_context(settings.saml_required_loa),
            sign=True,
            sigalg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
        )
    location = dict(info["headers"])["Location"]
    return request_id, location


def loa_rank(value: str | None) -> int:
    """0 for an unknown level, else 1 (Low) to 3 (High)."""
    if not value:
        return 0
    level = value.rsplit("/", 1)[-1]
    return NSIS_LEVELS.index(level) + 1 if level in NSIS_LEVELS else 0


def logout_redirect(settings: SsoSettings, name_id: str) -> str | None:
    """A signed LogoutRequest to the IdP's single logout service (HTTP-Redirect), if any."""
    from saml2.saml import NameID

    try:
        with client(settings) as sp:
            services = sp.metadata.single_logout_service(
                settings.issuer, BINDING_HTTP_REDIRECT, "idpsso"
            )
            if not services:
                return None
            destination = services[0]["location"]
            _, request = sp.create_logout_request(
                destination,
                settings.issuer,
                name_id=NameID(text=name_id, format=NAMEID_PERSISTENT),
                sign=False,
            )
            info = sp.apply_binding(
                BINDING_HTTP_REDIRECT,
                str(request),
                destination,
                relay_state="",
                sign=True,
                sigalg=SIG_RSA_SHA256,
            )
    except Exception:
        current_app.logger.warning("SAML LogoutRequest skipped", exc_info=True)
        return None
    return dict(info["headers"])["Location"]


REDIRECT_SIG_ALGORITHMS = {
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": "SHA256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": "SHA384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": "SHA512",
}
MAX_INFLATED = 64 * 1024


def idp_signing_certificates(settings: SsoSettings) -> list[str]:
    """The IdP's signing certificates (base64 DER) from its stored metadata."""
    from web.auth.saml import checks

    md = "urn:oasis:names:tc:SAML:2.0:metadata"
    root = checks.parse(settings.saml_metadata_xml.encode(), max_bytes=1024 * 1024, max_depth=40)
    return [
        "".join((c.text or "").split())
        for k in root.iter(checks.q(md, "KeyDescriptor"))
        if k.get("use") in (None, "signing")
        and k.getparent().tag == checks.q(md, "IDPSSODescriptor")
        for c in k.iter(checks.q(checks.DS, "X509Certificate"))
    ]


def verified_redirect_message(settings: SsoSettings, raw_query: str, kind: str) -> bytes:
    """The message of an HTTP-Redirect binding query whose signature (over the query exactly
    as sent, saml-bindings 3.4.4.1) verifies with one of the IdP's signing certificates."""
    import base64
    import zlib
    from urllib.parse import unquote_plus

    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    from web.auth.saml import checks

    parts = dict(p.split("=", 1) for p in raw_query.split("&") if "=" in p)
    algorithm = REDIRECT_SIG_ALGORITHMS.get(unquote_plus(parts.get("SigAlg", "")))
    if kind not in parts or algorithm is None or "Signature" not in parts:
        raise checks.Refused("saml_signature", "unsigned or weakly signed redirect message")
    signed = "&".join(f"{k}={parts[k]}" for k in (kind, "RelayState", "SigAlg") if k in parts)
    signature = base64.b64decode(unquote_plus(parts["Signature"]))
    for der in idp_signing_certificates(settings):
        key = x509.load_der_x509_certificate(base64.b64decode(der)).public_key()
        try:
            key.verify(signature, signed.encode(), padding.PKCS1v15(), getattr(hashes, algorithm)())
        except (InvalidSignature, TypeError, ValueError):
            continue
        inflater = zlib.decompressobj(-15)
        try:
            xml = inflater.decompress(base64.b64decode(unquote_plus(parts[kind])), MAX_INFLATED)
        except (zlib.error, ValueError) as exc:
            raise checks.Refused("saml_malformed", "not deflated base64") from exc
        if inflater.unconsumed_tail:
            raise checks.Refused("saml_too_large", "inflated message")
        return xml
    raise checks.Refused("saml_signature", "no IdP signing key verifies the message")


def logout_response_redirect(
    settings: SsoSettings, encoded_request: str, relay_state: str | None
) -> str | None:
    """A signed LogoutResponse (Success) to the IdP's single logout service."""
    try:
        with client(settings) as sp:
            request = sp.parse_logout_request(encoded_request, BINDING_HTTP_REDIRECT)
            services = sp.metadata.single_logout_service(
                settings.issuer, BINDING_HTTP_REDIRECT, "idpsso"
            )
            if request is None or not services:
                return None
            response = sp.create_logout_response(
                request.message, [BINDING_HTTP_REDIRECT], sign=False
            )
            info = sp.apply_binding(
                BINDING_HTTP_REDIRECT,
                str(response),
                services[0]["location"],
                relay_state or "",
                response=True,
                sign=True,
                sigalg=SIG_RSA_SHA256,
            )
    except Exception:
        current_app.logger.warning("SAML LogoutResponse skipped", exc_info=True)
        return None
    return dict(info["headers"])["Location"]
