"""Docs stay true: the example config parses, every CLI command is in the README."""

from pathlib import Path

from kiosk.cli import main
from kiosk.config import load_config

ROOT = Path(__file__).resolve().parent.parent


def test_example_config_is_valid():
    config = load_config(ROOT / "docs" / "kiosk.example.toml")
    assert config.station_id == "xinglong-01"


def test_every_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in main.commands:
        assert f"kiosk {name}" in readme, name


def test_every_config_key_is_documented():
    from kiosk.config import SCHEMA
    reference = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for section, keys in SCHEMA.items():
        for key in keys:
            assert f"`{section}.{key}`" in reference, f"{section}.{key}"


def test_readme_quick_start_is_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start")[1].split("```sh")[1].split("```")[0]
    assert [l.split("#")[0].strip() for l in quick.strip().splitlines()] == [
        "./setup.sh demo", "./setup.sh test"]
