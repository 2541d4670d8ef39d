"""The base of Reelay's pydantic models: validators built on first use, not at import.

pydantic builds each model's core schema and validator when the class is defined; a handler's
import defines dozens of models (the API's, Creatify's, the shops') of which one invocation
validates a few. `defer_build=True` moves that work to a model's first validation, so a cold
start pays only for the models its path uses. Subclasses keep their own settings on top.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ReelayModel(BaseModel):
    model_config = ConfigDict(defer_build=True)
