"""Client secrets encrypted at rest with a key derived from SECRET_KEY.

Rotating SECRET_KEY makes stored secrets unreadable: the tenant admin then enters the secret
again (the login page says so instead of failing obscurely).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


class SecretUnreadable(RuntimeError):
    """A stored secret cannot be decrypted with the current SECRET_KEY."""


def _fernet() -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"aktorskab", info=b"sso client secret"
    ).derive(current_app.config["SECRET_KEY"].encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("the client secret was stored under another SECRET_KEY") from None
