"""county.toml: its keys are checked when the county opens, and a bad one names the key and
the fix in both languages."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kiosk.county.cli import main
from kiosk.county.config import load_county_config
from kiosk.errors import ConfigError


@pytest.mark.parametrize("text, key", [
    ('[county]\nmetric_token = "x"\n', "county.metric_token"),
    ('[county]\nmetrics_token = "short"\n', "county.metrics_token"),
    ('[county]\ntimezone = "Mars/Olympus"\n', "county.timezone"),
    ('[county]\ntrusted_proxies = true\n', "county.trusted_proxies"),
    ("[county\n", "county"),
])
def test_a_bad_key_names_itself_and_the_fix(tmp_path, text, key):
    (tmp_path / "county.toml").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_county_config(tmp_path)
    assert info.value.key == key and info.value.fix
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "stations"])
    assert result.exit_code == 1 and "配置错误 / Configuration error" in result.output
    assert key in result.output


def test_a_good_file_and_the_command_line_on_top(tmp_path):
    (tmp_path / "county.toml").write_text('[county]\nmetrics_token = "' + "m" * 40 + '"\n'
                                          'timezone = "Asia/Urumqi"\ntrusted_proxies = 0\n'
                                          'database = "/elsewhere/county.db"\n')
    config = load_county_config(tmp_path, "postgresql://kiosk@db/county")
    assert (config.metrics_token, config.timezone, config.trusted_proxies) == ("m" * 40, "Asia/Urumqi", 0)
    assert config.database_target == "postgresql://kiosk@db/county"
    assert load_county_config(tmp_path).database_target == "/elsewhere/county.db"
    assert load_county_config(tmp_path / "none").database_target == str(tmp_path / "none" / "county.db")
