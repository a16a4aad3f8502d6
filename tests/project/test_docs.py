"""Docs stay true: the example config parses, every CLI command is in the README."""

from pathlib import Path

from kiosk.cli.main import main
from kiosk.config.loader import load_config

ROOT = Path(__file__).resolve().parents[2]


def test_example_config_is_valid():
    config = load_config(ROOT / "docs" / "kiosk.example.toml")
    assert config.station.id == "xinglong-01"


def test_every_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in main.commands:
        assert f"kiosk {name}" in readme, name


def test_every_config_key_is_documented():
    from kiosk.config.loader import SCHEMA
    reference = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for section, keys in SCHEMA.items():
        for key in keys:
            assert f"`{section}.{key}`" in reference, f"{section}.{key}"


def test_readme_quick_start_is_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start")[1].split("```sh")[1].split("```")[0]
    assert [l.split("#")[0].strip() for l in quick.strip().splitlines()] == [
        "./setup.sh demo", "./setup.sh test"]


def test_every_event_type_is_documented():
    import re
    written = set()
    for path in (ROOT / "kiosk").rglob("*.py"):
        written |= set(re.findall(r'record\(\s*"([a-z_.]+)"', path.read_text(encoding="utf-8")))
    written |= {"visit.logged"}
    reference = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    assert written and all(f"`{t}`" in reference for t in written), \
        sorted(t for t in written if f"`{t}`" not in reference)


def test_every_doctor_check_has_a_row_in_the_deploy_troubleshooting_table():
    import re

    from kiosk.adapters.health import DOCTOR_NAMES
    source = (ROOT / "kiosk" / "ops" / "doctor.py").read_text(encoding="utf-8")
    names = set(re.findall(r'Check\("([^"]+)"', source)) | set(DOCTOR_NAMES.values())
    deploy = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    table = deploy[deploy.index("## Troubleshooting"):]
    for name in names:
        assert f"\n| {name} |" in table, name
