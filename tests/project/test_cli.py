"""The click CLI: documented commands, keygen, verify-log and doctor."""

import os

import pytest
from click.testing import CliRunner

from kiosk.cli.main import main


@pytest.fixture
def runner():
    return CliRunner()


def test_every_command_is_documented_with_an_example(runner):
    for name, command in main.commands.items():
        assert command.help and "Example:" in command.help, name
        assert runner.invoke(main, [name, "--help"]).exit_code == 0


def test_keygen_prints_fingerprint_and_writes_0600(runner, tmp_path):
    result = runner.invoke(main, ["keygen", "--key-file", str(tmp_path / "s.key")])
    assert result.exit_code == 0, result.output
    assert "fingerprint" in result.output and "公钥指纹" in result.output
    assert oct(os.stat(tmp_path / "s.key").st_mode & 0o777) == "0o600"


def test_broken_config_gives_bilingual_message(runner, tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text('[station]\nid = "st-1"\n[reader]\nkind = "usb"\n')
    result = runner.invoke(main, ["--config", str(path), "serve"])
    assert result.exit_code == 1
    assert "配置错误 / Configuration error" in result.output and "reader.kind" in result.output


def test_verify_log_ok(runner, core, station_dir):
    result = runner.invoke(main, ["--config", str(station_dir / "kiosk.toml"), "verify-log"])
    assert result.exit_code == 0 and "verified: 1 events" in result.output


def test_doctor_fails_on_world_readable_key(runner, core, station_dir, config):
    os.chmod(config.station.key_file, 0o644)
    result = runner.invoke(main, ["--config", str(station_dir / "kiosk.toml"), "doctor"])
    assert result.exit_code == 1
    assert "FAIL" in result.output and "chmod 600" in result.output
    assert "OK   数据库完整性 / database integrity" in result.output


def test_serve_refuses_a_key_others_can_read(runner, station_dir, config):
    os.chmod(config.station.key_file, 0o640)
    result = runner.invoke(main, ["--config", str(station_dir / "kiosk.toml"), "serve"])
    assert result.exit_code == 1
    assert "错误 / Error" in result.output and f"chmod 600 {config.station.key_file}" in result.output


def test_serve_with_ui_port_taken_says_which_key(runner, station_dir, config):
    import socket
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        path = station_dir / "kiosk.toml"
        path.write_text(path.read_text().replace("enabled = false", "enabled = true")
                        .replace("port = 8080", f"port = {port}"))
        result = runner.invoke(main, ["--config", str(path), "serve"])
    assert result.exit_code == 1 and "ui.port" in result.output and "错误 / Error" in result.output


def test_doctor_reports_paper_out_with_the_fix(runner, core, station_dir):
    from kiosk.ports import PrinterState
    from kiosk.sim.capture_printer import CapturePrinter
    capture = CapturePrinter()
    capture.state = PrinterState.PAPER_OUT
    path = station_dir / "kiosk.toml"
    path.write_text(path.read_text() + f'\n[printer]\nkind = "network"\nhost = "127.0.0.1"\n'
                    f"port = {capture.port}\n")
    result = runner.invoke(main, ["--config", str(path), "doctor"])
    capture.close()
    assert result.exit_code == 1
    assert "FAIL 打印机 / printer: network: paper_out" in result.output
    assert "load a new paper roll" in result.output


def test_doctor_says_how_to_add_the_first_technician(runner, core, station_dir):
    result = runner.invoke(main, ["--config", str(station_dir / "kiosk.toml"), "doctor"])
    assert "FAIL 技术员 / technicians: 0 active" in result.output
    assert "kiosk technician add" in result.output
    core.staff.add("赵医生", "246813")
    result = runner.invoke(main, ["--config", str(station_dir / "kiosk.toml"), "doctor"])
    assert "OK   技术员 / technicians: 1 active" in result.output


def test_technician_list_shows_cards_and_lockouts(runner, core, station_dir):
    path = str(station_dir / "kiosk.toml")
    assert "还没有技术员" in runner.invoke(main, ["--config", path, "technician", "list"]).output
    tech = core.staff.add("赵医生", "246813")
    for _ in range(5):
        core.staff.check_pin(tech.id, "0000")
    output = runner.invoke(main, ["--config", path, "technician", "list"]).output
    assert "赵医生" in output and "有效 / active" in output and "锁定至 / locked until" in output
