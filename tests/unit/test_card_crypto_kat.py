"""Known answers: the DESFire EV2 crypto in kiosk.protocol.desfire against NXP's own examples.

Each value below is quoted from an NXP application note (facts, not code):
- AN10922 "Symmetric key diversifications", Rev. 2.2, §2.2.1 (AES-128 example);
- AN12343 "MIFARE DESFire Light Features and Hints", Rev. 1.1: §7.1.3.1 (session keys after
  AuthenticateEV2First) and the GetCardUID exchange in §6 (command MAC, encrypted answer);
- AN12196 "NTAG 424 DNA and NTAG 424 DNA TagTamper features and hints", Rev. 1.8 / 2.0:
  Table 14 (AuthenticateEV2First, key 0), Table 8 (CommMode.MAC), Table 19
  (ChangeFileSettings, CommMode.FULL), Tables 26 and 27 (ChangeKey).
"""

from __future__ import annotations

import pytest

from kiosk.protocol import desfire as ev2

h = bytes.fromhex


def test_an10922_aes128_diversification():
    # AN10922 §2.2.1: K, UID 04782E21801D80, AID 3042F5, system identifier "NXP Abu"
    key = h("00112233445566778899AABBCCDDEEFF")
    data = h("04782E21801D80") + h("3042F5") + b"NXP Abu"
    assert ev2.diversify(key, data) == h("A8DD63A3B89D54B37CA802473FDA9175")


def test_an12343_session_keys():
    # AN12343 §7.1.3.1: key 00..00, RndA B04D0787..., RndB FA659AD0...
    enc, mac = ev2.session_keys(bytes(16), h("B04D0787C93EE0CC8CACC8E86F16C6FE"),
                                h("FA659AD0DCA738DD65DC7DC38612AD81"))
    assert enc == h("63DC07286289A7A6C0334CA31C314A04")
    assert mac == h("774F26743ECE6AF5033B6AE8522946F6")


def test_an12343_get_card_uid_mac_and_answer():
    # AN12343, GetCardUID in CommMode.FULL: TI 569D4B24, CmdCtr 0
    session = ev2.Session(h("569D4B24"), h("C1D7BD9F60034D8432F9AF3403D573D0"),
                          h("FD9E26C9766F07C1D07106C0F8F3671F"))
    assert ev2.cmac(session.mac, h("510000569D4B24")) == h("ED5CB7A932EF8D7C2E91B42A1139F11B")
    assert session.command_mac(0x51) == h("5CA9EF7C912A391B")
    answer = h("CDFFBF6D34231DA2789DA9D3AB15D560")
    assert session.decrypt_response(answer) == h("04DE5F1EACC040")  # the real UID
    session.check_response(0x00, answer, h("CE75E39EDBE94C2F"))
    assert session.counter == 1
    with pytest.raises(ev2.Ev2Failed):
        session.check_response(0x00, answer, h("CE75E39EDBE94C2F"))  # counted: a replay fails


def test_an12196_authenticate_ev2_first_transcript():
    # AN12196 Table 14: key 0 = 00..00, RndA 13C5DB8A...
    key, rnd_a = bytes(16), h("13C5DB8A5930439FC3DEF9A4C675360F")
    rnd_b, answer = ev2.pcd_answer(key, h("A04C124213C186F22399D33AC2A30215"), rnd_a)
    assert rnd_b == h("B9E2FC789B64BF237CCCAA20EC7E6E48")
    assert answer == h("35C3E05A752E0144BAC0DE51C1F22C56B34408A23D8AEA266CAB947EA8E0118D")
    session = ev2.pcd_finish(key, rnd_a, rnd_b, h(
        "3FA64DB5446D1F34CD6EA311167F5E4985B89690C04A05F17FA7AB2F08120663"))
    assert (session.ti, session.enc, session.mac) == (
        h("9D00C4DF"), h("1309C877509E5A215007FF0ED19CA564"), h("4C6626F5E72EA694202139295C7A7FC7"))
    with pytest.raises(ev2.Ev2Failed):  # another RndA (a replayed card answer) fails
        ev2.pcd_finish(key, bytes(16), rnd_b, h(
            "3FA64DB5446D1F34CD6EA311167F5E4985B89690C04A05F17FA7AB2F08120663"))


def test_an12196_mac_mode_get_file_settings():
    # AN12196 Table 8: GetFileSettings of file 02, TI 7A21085E, CmdCtr 0
    session = ev2.Session(h("7A21085E"), bytes(16), h("8248134A386E86EB7FAF54A52E536CB6"))
    assert session.command_mac(0xF5, b"\x02") == h("6597A457C8CD442C")
    session.check_response(0x00, h("0040EEEE000100D1FE001F00004400004400002000006A0000"),
                           h("2A474282E7A47986"))


def test_an12196_full_mode_change_file_settings():
    # AN12196 Table 19: ChangeFileSettings of file 02, CmdCtr 1
    session = ev2.Session(h("9D00C4DF"), h("1309C877509E5A215007FF0ED19CA564"),
                          h("4C6626F5E72EA694202139295C7A7FC7"), counter=1)
    encrypted = session.encrypt_command(h("4000E0C1F121200000430000430000"))
    assert encrypted == h("61B6D97903566E84C3AE5274467E89EA")
    assert session.command_mac(0x5F, b"\x02", encrypted) == h("D799B7C1A0EF7A04")
    session.check_response(0x00, b"", h("57BFF87B1241E93D"))


@pytest.mark.parametrize("key_no, new, old, counter, expected", [
    # AN12196 Table 26: change key 2 (not the one authenticated), CmdCtr 2
    (2, "F3847D627727ED3BC9C4CC050489B966", "00" * 16, 2,
     "2CF362B7BF4311FF3BE1DAA295E8C68DE09050560D19B9E16C2393AE9CD1FAC7" "5D0CE20BCD1D06E6"),
    # AN12196 Table 27: change key 0, the one the session was authenticated with, CmdCtr 3
    (0, "5004BF991F408672B1EF00F08F9E8647", None, 3,
     "C0EB4DEEFEDDF0B513A03A95A75491818580503190D4D05053FF75668A01D6FD" "A6610234BDED6432"),
])
def test_an12196_change_key(key_no, new, old, counter, expected):
    from kiosk.adapters.desfire_io import change_key_data
    session = ev2.Session(h("7614281A"), h("4CF3CB41A22583A61E89B158D252FC53"),
                          h("5529860B2FC5FB6154B7F28361D30BF9"), counter=counter)
    data = change_key_data(h(new), 1, h(old) if old else None)
    encrypted = session.encrypt_command(data)
    assert encrypted + session.command_mac(0xC4, bytes([key_no]), encrypted) == h(expected)
