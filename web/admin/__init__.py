"""Tenant administration: SSO settings, users to place in a unit, the audit log."""
