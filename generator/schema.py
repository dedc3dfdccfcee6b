"""A JSON Schema of a deal's front matter, for editors (completion, inline warnings).

Built from the same lists the validator uses (the known keys, the config's stages), so it
cannot drift from what `dealbook check` accepts. The schema is looser than the checks
where a schema cannot say it (money written as text, cross-field rules): it helps while
typing; `dealbook check` has the last word.
"""

from __future__ import annotations

import re
from typing import Any

from .model import Config

DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "description": "YYYY-MM-DD"}


def deal_schema(config: Config) -> dict[str, Any]:
    stage_names = sorted({s.id for s in config.stages} | {s.label for s in config.stages})
    # `dealbook check` takes a stage in any letter case; JSON Schema has no case-insensitive
    # enum, so the names become a pattern with both cases of every letter
    any_case = {
        "type": "string",
        "pattern": "^(" + "|".join(_any_case(n) for n in stage_names) + ")$",
    }
    open_any_case = {
        "type": "string",
        "pattern": "^("
        + "|".join(_any_case(n) for s in config.open_stages for n in (s.id, s.label))
        + ")$",
    }
    currencies = [config.currency, *sorted(config.rates)]
    text = {"type": "string"}
    touch = {
        "oneOf": [
            {
                "type": "string",
                "pattern": r"^\d{4}-\d{2}-\d{2}( .*)?$",
                "description": "DATE [KIND] [NOTE], e.g. 2026-09-21 email sent the proposal",
            },
            {
                "type": "object",
                "required": ["date"],
                "additionalProperties": False,
                "properties": {"date": DATE, "kind": text, "note": text},
            },
        ]
    }
    properties: dict[str, Any] = {
        "title": {"type": "string", "minLength": 1, "description": "What the deal is"},
        "client": {**text, "description": "Who it is for"},
        "stage": {**any_case, "description": "A stage id or label from dealbook.yaml"},
        "value": {
            "type": ["number", "string"],
            "description": 'The amount: 4800, 4800.50, "4,800", "$4,800", 4.8k',
        },
        "currency": {"enum": currencies, "description": "Currencies with a rate in dealbook.yaml"},
        "created": {**DATE, "description": "When the lead came in (YYYY-MM-DD)"},
        "expected_close": DATE,
        "closed": {**DATE, "description": "When it was won or lost; won and lost deals only"},
        "lost_reason": {**text, "description": "Why it was lost; lost deals only"},
        "lost_at": {**open_any_case, "description": "The last open stage a lost deal reached"},
        "owner": text,
        "source": {**text, "description": "Where the lead came from, e.g. upwork, referral"},
        "probability": {
            "type": ["number", "string"],
            "description": "0..1 or a percentage such as 40%",
        },
        "next_step": text,
        "next_step_due": DATE,
        "tags": {"type": ["array", "string"], "items": text},
        "stage_dates": {
            "type": "object",
            "propertyNames": any_case,
            "additionalProperties": DATE,
            "description": "The date each stage was entered",
        },
        "touches": {"type": "array", "items": touch, "description": "The follow-up log"},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Dealbook deal ({config.title})",
        "type": "object",
        "required": ["title", "stage", "created"],
        "properties": properties,
        "additionalProperties": True,
    }


def _any_case(name: str) -> str:
    """'Proposal sent' -> '[Pp][Rr][Oo]...[Tt]', regex-escaped, for a case-blind match."""
    out = []
    for ch in name:
        if ch.lower() != ch.upper():
            out.append(f"[{ch.upper()}{ch.lower()}]")
        else:
            out.append(re.escape(ch))
    return "".join(out)
