"""SCIM 2.0 provisioning (RFC 7643/7644) per tenant at ``/t/<slug>/scim/v2/``."""
