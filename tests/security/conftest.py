"""The collections' small municipality (``town``) for the audit tests of approvals and exports."""

from tests.collections.conftest import compiled, town  # noqa: F401
