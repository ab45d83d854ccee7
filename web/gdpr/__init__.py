"""GDPR duties: retention, a person's own data, erasure, offboarding and the tenant's privacy and
accessibility pages (see ``services``)."""
