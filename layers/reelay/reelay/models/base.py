"""The base of Reelay's remaining pydantic models (the tenant's, for the operator's tenant
commands): validators built on first use, not at import.

No function's path reads them (the functions read plain records, reelay.models.records).
`defer_build=True` moves each model's core schema and validator to its first validation, so
what imports a module of them pays only for the models it uses.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ReelayModel(BaseModel):
    model_config = ConfigDict(defer_build=True)
