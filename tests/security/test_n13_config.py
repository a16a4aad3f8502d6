"""Finding N13: a county.url of http:// or ftp:// loaded, doctor said OK, and the sync thread
died with a traceback; a 5,000-deep TOML value gave a RecursionError of 2,999 lines.

Now the config refuses both, naming the key and the fix in Chinese and English, and doctor
says FAIL instead of OK.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kiosk.cli.main import main
from kiosk.config.loader import load_config
from kiosk.errors import ConfigError
from kiosk.testing.station import write_station_config

KEY = "00" * 32


@pytest.mark.parametrize("url", ["http://county.example.gov.cn/", "http://192.168.1.5:8700/",
                                 "ftp://county.example.gov.cn/"])
def test_n13_a_county_url_that_is_not_https_is_refused(tmp_path, url):
    path = write_station_config(tmp_path, None, extra=f'\n[county]\nurl = "{url}"\n'
                                                       f'public_key = "{KEY}"\n')
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    assert refused.value.key == "county.url"
    assert "https://" in refused.value.fix and "县里" in refused.value.fix  # the fix, in both
    assert "不是 https://" in refused.value.problem and "not an https://" in refused.value.problem
    result = CliRunner().invoke(main, ["--config", str(path), "doctor"])
    assert result.exit_code == 1 and "FAIL" in result.output and "county.url" in result.output
    assert "OK   config" not in result.output


def test_n13_the_county_on_this_machine_may_stay_plain_http(tmp_path):
    path = write_station_config(tmp_path, None, extra='\n[county]\nurl = "http://127.0.0.1:8700/"\n'
                                                      f'public_key = "{KEY}"\n')
    assert load_config(path).county.url == "http://127.0.0.1:8700/"


def test_n13_a_deeply_nested_value_is_refused_in_a_few_lines(tmp_path):
    path = write_station_config(tmp_path, None, extra="\n[care]\nplans_file = " + "[" * 5000
                                + "]" * 5000 + "\n")
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    assert refused.value.key == "care.plans_file"
    assert "嵌套" in refused.value.problem and "nested" in refused.value.problem
    result = CliRunner().invoke(main, ["--config", str(path), "doctor"])
    assert result.exit_code == 1 and "care.plans_file" in result.output
    assert "Traceback" not in result.output and len(result.output.splitlines()) < 10
