"""Generated documentation stays in step with the code it is generated from."""

from __future__ import annotations

from pathlib import Path

from newsqa.config import Settings, settings_markdown

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def test_configuration_doc_is_up_to_date():
    assert DOC.read_text(encoding="utf-8") == settings_markdown(), (
        "docs/configuration.md is out of date: run `make docs` "
        "(python -m newsqa.config --markdown > docs/configuration.md)")


def test_every_setting_is_described():
    missing = [name for name, info in Settings.model_fields.items() if not info.description]
    assert not missing, f"Settings fields without a description: {missing}"
