"""The README's promises: it opens with the two commands, documents every field, and its
example deal file is valid."""

from __future__ import annotations

import re
from pathlib import Path

from generator.config import KEYS as CONFIG_KEYS
from generator.validate import KNOWN

from conftest import check_one

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_readme_opens_with_the_two_commands() -> None:
    first_block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands == ["make site", "make test"]
    assert README.index("make site") < README.index("## ")


def test_readme_documents_every_deal_field_and_config_key() -> None:
    for field in KNOWN:
        assert f"`{field}`" in README, field
    for key in CONFIG_KEYS:
        assert re.search(rf"^{key}:", README, re.M), key


def test_readme_example_deal_is_valid(tmp_path: Path) -> None:
    example = re.search(r"```markdown\n(---\n.*?)```", README, re.S)
    assert example is not None
    config = "rates: {EUR: 1.08}\n"
    result, problems, _ = check_one(tmp_path, example.group(1), config=config)
    assert problems == []
    assert type(result).__name__ == "Deal"
