"""The append-only audit log: who did what, when, from where; read by the tenant admin."""
