"""Deterministic synthetic pipelines for the benchmarks: realistic deal files of every
stage, several currencies, touches and 5-15 line Markdown notes, from a fixed seed."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

CONFIG = """title: Synthetic pipeline
currency: USD
rates: {EUR: 1.08, GBP: 1.27, CAD: 0.73}
as_of: 2026-11-20
period: quarter
quota: 250000
"""
STAGES = ["lead", "qualified", "proposal", "negotiation", "won", "lost"]
WEIGHTS = [18, 12, 10, 6, 30, 24]
SOURCES = ["upwork", "referral", "website", "linkedin", "repeat client", "conference"]
OWNERS = ["maria", "li", "sam", "noor", "tomas"]
REASONS = ["budget", "went quiet", "chose another freelancer", "timing", "price", "scope"]
KINDS = ["email", "call", "upwork", "meeting"]
WORDS = [
    "shopify",
    "store",
    "redesign",
    "booking",
    "app",
    "portal",
    "migration",
    "audit",
    "dashboard",
    "landing",
    "pages",
    "membership",
    "site",
    "webflow",
    "headless",
    "api",
    "integration",
    "newsletter",
    "checkout",
    "analytics",
    "brand",
    "refresh",
    "accessibility",
    "performance",
    "mobile",
]
CLIENTS = [
    "Northwind",
    "Fjord",
    "Harbor",
    "Granite",
    "Maple",
    "Copper",
    "Willow",
    "Quarry",
    "Saltmarsh",
    "Juniper",
    "Cedar",
    "Bramble",
    "Foxglove",
    "Kestrel",
    "Larkspur",
    "Oakridge",
    "Pemberton",
    "Tidewater",
]
AS_OF = date(2026, 11, 20)


def deal_text(rng: random.Random, i: int) -> str:
    stage = rng.choices(STAGES, WEIGHTS)[0]
    created = AS_OF - timedelta(days=rng.randint(5, 420))
    title = f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} #{i}"
    client = f"{rng.choice(CLIENTS)} {rng.choice(['Studio', 'Co', 'GmbH', 'Ltd', 'Labs'])}"
    currency = rng.choices(["USD", "EUR", "GBP", "CAD"], [70, 15, 10, 5])[0]
    lines = ["---", f"title: {title}", f"client: {client}", f"stage: {stage}"]
    if stage not in ("lead", "lost") or rng.random() < 0.5:
        lines.append(f"value: {rng.randint(5, 400) * 100}")
    if currency != "USD":
        lines.append(f"currency: {currency}")
    lines.append(f"created: {created.isoformat()}")
    open_stage = stage not in ("won", "lost")
    span = max((AS_OF - created).days, 1)
    if not open_stage:
        closed = created + timedelta(days=rng.randint(0, span))
        lines.append(f"closed: {closed.isoformat()}")
        if stage == "lost":
            lines.append(f"lost_reason: {rng.choice(REASONS)}")
            lines.append(f"lost_at: {rng.choice(STAGES[:4])}")
    else:
        closed = AS_OF
        if rng.random() < 0.85:
            lines.append(f"next_step: Follow up on {rng.choice(WORDS)}")
            due = AS_OF + timedelta(days=rng.randint(-10, 20))
            lines.append(f"next_step_due: {due.isoformat()}")
        if rng.random() < 0.6:
            lines.append(
                f"expected_close: {(AS_OF + timedelta(days=rng.randint(-5, 90))).isoformat()}"
            )
    lines.append(f"owner: {rng.choice(OWNERS)}")
    lines.append(f"source: {rng.choice(SOURCES)}")
    lines.append(f"tags: [{rng.choice(WORDS)}, {rng.choice(WORDS)}]")
    touches = sorted(
        created + timedelta(days=rng.randint(0, (closed - created).days))
        for _ in range(rng.randint(0, 8))
    )
    if touches:
        lines.append("touches:")
        lines += [f"  - {t.isoformat()} {rng.choice(KINDS)} {rng.choice(WORDS)}" for t in touches]
    lines.append("---")
    for _ in range(rng.randint(5, 15)):
        kind = rng.random()
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14)))
        lines.append(f"- {words}" if kind < 0.4 else words.capitalize() + ".")
    return "\n".join(lines) + "\n"


def make_pipeline(root: Path, count: int, seed: int = 7) -> Path:
    """Write `count` deals (in sub-folders of 1,000) and a config under root."""
    rng = random.Random(seed)
    (root / "deals").mkdir(parents=True, exist_ok=True)
    (root / "dealbook.yaml").write_text(CONFIG)
    for i in range(count):
        folder = root / "deals" / f"batch-{i // 1000:03d}"
        folder.mkdir(exist_ok=True)
        (folder / f"deal-{i:06d}.md").write_text(deal_text(rng, i))
    return root
