"""The `reelay` operator command: tenants and the task API of a deployed (or local) stack."""
