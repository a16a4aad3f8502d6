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
    ('[county]\ntimezone = "Asia/Shanghai"\n', "county.timezone"),  # moved to [reports]
    ('[reports]\ntimezone = "Mars/Olympus"\n', "reports.timezone"),
    ('[reports]\ntimezone = 8\n', "reports.timezone"),
    ('[reports]\nthreshold = 1\n', "reports.threshold"),
    ('[reports]\nthreshold = "5"\n', "reports.threshold"),
    ('[reports]\nthreshhold = 5\n', "reports.threshhold"),
    ('[report]\nthreshold = 5\n', "report"),
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
                                          'trusted_proxies = 0\n'
                                          'database = "/elsewhere/county.db"\n'
                                          '[reports]\ntimezone = "Asia/Urumqi"\nthreshold = 10\n')
    config = load_county_config(tmp_path, "postgresql://kiosk@db/county")
    assert (config.metrics_token, config.trusted_proxies) == ("m" * 40, 0)
    assert (config.reports.timezone, config.reports.threshold) == ("Asia/Urumqi", 10)
    assert config.database_target == "postgresql://kiosk@db/county"
    assert load_county_config(tmp_path).database_target == "/elsewhere/county.db"
    assert load_county_config(tmp_path / "none").database_target == str(tmp_path / "none" / "county.db")


def test_the_reports_defaults(tmp_path):
    config = load_county_config(tmp_path)
    assert (config.reports.threshold, config.reports.timezone) == (5, "Asia/Shanghai")
    (tmp_path / "county.toml").write_text('[reports]\nthreshold = 3\n')
    assert load_county_config(tmp_path).reports.timezone == "Asia/Shanghai"
