"""Prompt templates a shop connection fills from each product: {title}, {product_type}, {vendor}, {tags}.

Only those four names, each plain: no attribute or index access, no conversion or format
spec, so a template is data and can never reach into Python objects. Braces are doubled to
stand for themselves, as in str.format.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

FIELDS = ("title", "product_type", "vendor", "tags")
MAX_TEMPLATE_LENGTH = 1000
# The longest image or video prompt a task takes: the API holds a request's prompts to it, and
# a prompt filled in from a template is cut to it.
MAX_PROMPT_LENGTH = 2000

_FORMATTER = string.Formatter()


def check_template(template: str) -> str:
    """The template if it uses only the known fields, plainly; ValueError naming what is wrong."""
    try:
        parts = list(_FORMATTER.parse(template))
    except ValueError as exc:
        raise ValueError(f"not a valid template ({exc}); write a literal brace as {{{{ or }}}}") from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in FIELDS:
            allowed = ", ".join("{" + f + "}" for f in FIELDS)
            raise ValueError(f"unknown placeholder {{{name}}}; use {allowed}")
        if spec or conversion:
            raise ValueError(f"placeholder {{{name}}} takes no format or conversion")
    return template


def render(template: str, values: Mapping[str, str], max_length: int) -> str:
    """The template with each placeholder replaced by its value (empty when missing), cut to max_length."""
    out: list[str] = []
    for literal, name, _, _ in _FORMATTER.parse(template):
        out.append(literal)
        if name is not None:
            out.append(values.get(name, ""))
    return "".join(out).strip()[:max_length]
