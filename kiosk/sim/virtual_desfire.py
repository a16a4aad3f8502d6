"""A virtual MIFARE DESFire EV2: applications with AES keys, standard data files, native
commands in ISO 7816 APDUs (``90 INS 00 00 Lc data 00``; answers end ``91 xx``, long ones
come in frames of 59 bytes on ``91 AF``), AuthenticateEV2First, EV2 secure messaging (CMAC,
and encryption for GetCardUID and ChangeKey), and the random-UID option, written from NXP's
data sheet and application notes (AN12343, AN12196) with kiosk.protocol.desfire.

It implements what the kiosk uses: SelectApplication 5A, CreateApplication CA,
CreateStdDataFile CD, ReadData BD, WriteData 3D, AuthenticateEV2First 71, GetCardUID 51,
GetKeyVersion 64, ChangeKey C4. Applications are made with the factory PICC settings
(anyone may create one).
"""

from __future__ import annotations

import copy
import hmac
import os
from dataclasses import dataclass, field

from kiosk.protocol import desfire as ev2
from kiosk.sim.virtual_card import VirtualCard

DESFIRE_ATR = bytes.fromhex("3B8180018080")  # ISO 14443-4 type A, no historical bytes
FRAME = 59
OK, MORE, INTEGRITY, NO_CHANGES, LENGTH, PERMISSION = 0x00, 0xAF, 0x1E, 0x0C, 0x7E, 0x9D
AUTH, NOT_FOUND, FILE_NOT_FOUND, DUPLICATE, ILLEGAL = 0xAE, 0xA0, 0xF0, 0xDE, 0x1C
HEADER = {0xBD: 7, 0x3D: 7, 0xCD: 7, 0x51: 0, 0x64: 1, 0xC4: 1}


@dataclass
class DesfireFile:
    comm: int  # 0 plain, 1 MAC, 3 full
    access: bytes  # 2 bytes: RW<<4 | Change, Read<<4 | Write
    data: bytearray

    @property
    def read_key(self) -> int:
        return self.access[1] >> 4

    @property
    def write_key(self) -> int:
        return self.access[1] & 0x0F


@dataclass
class DesfireApp:
    keys: list[bytes]
    versions: list[int]
    files: dict[int, DesfireFile] = field(default_factory=dict)


@dataclass
class DesfireCard(VirtualCard):
    """``uid`` the real 7-byte UID; ``random_id``: the field shows a fresh 08 xx xx xx UID at
    each power-on, and only GetCardUID after authentication tells the real one."""

    kind: str = "desfire"
    random_id: bool = False
    apps: dict[bytes, DesfireApp] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.atr = self.atr or DESFIRE_ATR
        super().__post_init__()

    def reset(self) -> None:
        super().reset()
        self._field_uid = b"\x08" + os.urandom(3) if self.random_id else self.uid
        self.selected: bytes | None = None
        self.session: ev2.Session | None = None
        self.auth_key: int | None = None
        self._pending: tuple[int, bytes] | None = None  # key no, RndB: EV2First half done
        self._out = b""

    def field_uid(self) -> bytes:
        return self._field_uid

    def same_card(self) -> DesfireCard:
        return DesfireCard(self.uid, random_id=self.random_id, apps=self.apps)

    def copy_to(self, uid: bytes) -> DesfireCard:
        """Every byte a reader can read without a key (file 1), on another card: it has the
        application and files, but not the keys."""
        apps = {aid: DesfireApp([os.urandom(16) for _ in app.keys], list(app.versions),
                                {n: copy.deepcopy(f) for n, f in app.files.items()
                                 if f.read_key == 0xE})
                for aid, app in self.apps.items()}
        return DesfireCard(uid, random_id=self.random_id, apps=apps)

    def perfect_clone(self) -> DesfireCard:
        """The same UID (or the same random-UID behaviour) and the same readable bytes."""
        return self.copy_to(self.uid)

    # -- native commands -------------------------------------------------------------
    def respond(self, apdu: bytes) -> bytes:
        if apdu[:1] != b"\x90":
            return super().respond(apdu)
        ins, data = apdu[1], apdu[5:5 + apdu[4]] if len(apdu) > 5 else b""
        if ins == MORE and self._pending is None:
            return self._frame()
        try:
            answer = self._command(ins, data)
        except _Status as status:
            self._end_session()
            return bytes([0x91, status.code])
        if isinstance(answer, _Whole):
            return bytes(answer)
        self._out = answer
        return self._frame()

    def _frame(self) -> bytes:
        chunk, self._out = self._out[:FRAME], self._out[FRAME:]
        return chunk + bytes([0x91, MORE if self._out else OK])

    def _end_session(self) -> None:
        self.session, self.auth_key, self._pending = None, None, None

    def _command(self, ins: int, data: bytes) -> bytes:
        """The answer's data (framed by ``respond``), or a whole answer with its status."""
        if ins == 0x5A:
            self._end_session()
            self.selected = bytes(data) if bytes(data) in self.apps or not any(data) else None
            if self.selected is None:
                raise _Status(NOT_FOUND)
            return b""
        if ins == 0xCA:
            return self._create_app(data)
        if ins == 0x71:
            return self._auth_first(data)
        if ins == MORE:
            return self._auth_second(data)
        app = self.apps.get(self.selected or b"")
        if app is None or ins not in HEADER:
            raise _Status(ILLEGAL if app else NOT_FOUND)
        header, body = self._unwrap(ins, data)
        return self._wrap(self._run(app, ins, header, body))

    def _create_app(self, data: bytes) -> bytes:
        if self.selected != bytes(3) or len(data) != 5:
            raise _Status(PERMISSION)
        if data[:3] in self.apps:
            raise _Status(DUPLICATE)
        count = data[4] & 0x0F
        self.apps[bytes(data[:3])] = DesfireApp([bytes(16)] * count, [0] * count)
        return b""

    def _auth_first(self, data: bytes) -> bytes:
        app = self.apps.get(self.selected or b"")
        self._end_session()
        if app is None or not data or data[0] >= len(app.keys):
            raise _Status(AUTH)
        rnd_b = os.urandom(16)
        self._pending = (data[0], rnd_b)
        return _Whole(ev2.aes_cbc(app.keys[data[0]], ev2.ZERO_IV, rnd_b) + b"\x91\xAF")

    def _auth_second(self, data: bytes) -> bytes:
        assert self._pending is not None
        (key_no, rnd_b), self._pending = self._pending, None
        key = self.apps[self.selected or b""].keys[key_no]
        if len(data) != 32:
            raise _Status(LENGTH)
        plain = ev2.aes_cbc(key, ev2.ZERO_IV, bytes(data), encrypt=False)
        rnd_a = plain[:16]
        if plain[16:] != ev2.rotate(rnd_b):
            raise _Status(AUTH)
        ti = os.urandom(4)
        enc, mac = ev2.session_keys(key, rnd_a, rnd_b)
        self.session, self.auth_key = ev2.Session(ti, enc, mac), key_no
        answer = ev2.aes_cbc(key, ev2.ZERO_IV, ti + ev2.rotate(rnd_a) + bytes(12))
        return _Whole(answer + b"\x91\x00")

    def _unwrap(self, ins: int, data: bytes) -> tuple[bytes, bytes]:
        """(header, body) of a command; under a session its MAC is checked and taken off."""
        if self.session is not None:
            if len(data) < 8 or not hmac.compare_digest(
                    self.session.command_mac(ins, data[:HEADER[ins]], data[HEADER[ins]:-8]),
                    data[-8:]):
                raise _Status(INTEGRITY)
            data = data[:-8]
        return bytes(data[:HEADER[ins]]), bytes(data[HEADER[ins]:])

    def _wrap(self, answer: bytes) -> bytes:
        """Under a session: the answer's MAC appended, and the command counted."""
        if self.session is None:
            return answer
        mac = self.session.response_mac(OK, answer)
        self.session.counter += 1
        return answer + mac

    def _run(self, app: DesfireApp, ins: int, header: bytes, body: bytes) -> bytes:
        if ins == 0x64:
            if header[0] >= len(app.versions):
                raise _Status(NO_CHANGES)
            return bytes([app.versions[header[0]]])
        if ins == 0x51:
            if self.session is None:
                raise _Status(AUTH)
            return self.session.encrypt_response(self.uid)
        if ins == 0xC4:
            return self._change_key(app, header[0], body)
        if ins == 0xCD:
            if self.auth_key != 0:
                raise _Status(AUTH)
            if header[0] in app.files:
                raise _Status(DUPLICATE)
            size = int.from_bytes(header[4:7], "little")
            app.files[header[0]] = DesfireFile(header[1], bytes(header[2:4]), bytearray(size))
            return b""
        file = app.files.get(header[0])
        if file is None:
            raise _Status(FILE_NOT_FOUND)
        offset, length = int.from_bytes(header[1:4], "little"), int.from_bytes(header[4:7], "little")
        if ins == 0xBD:
            if file.read_key != 0xE and file.read_key != self.auth_key:
                raise _Status(AUTH)
            return bytes(file.data[offset:offset + length if length else None])
        if file.write_key != self.auth_key or len(body) != length or offset + length > len(file.data):
            raise _Status(AUTH if file.write_key != self.auth_key else LENGTH)
        file.data[offset:offset + length] = body
        return b""

    def _change_key(self, app: DesfireApp, key_no: int, body: bytes) -> bytes:
        assert self.session is not None
        if self.auth_key != 0 or key_no >= len(app.keys):
            raise _Status(AUTH)
        plain = self.session.decrypt_command(body)
        if key_no == self.auth_key:
            app.keys[key_no], app.versions[key_no] = plain[:16], plain[16]
            self.session.counter += 1
            raise _Done
        new = bytes(a ^ b for a, b in zip(plain[:16], app.keys[key_no], strict=True))
        if plain[17:21] != ev2.crc32(new):
            raise _Status(INTEGRITY)
        app.keys[key_no], app.versions[key_no] = new, plain[16]
        return b""


class _Whole(bytes):
    """An answer complete with its status word (the halves of AuthenticateEV2First)."""


class _Status(Exception):
    def __init__(self, code: int):
        self.code = code


class _Done(_Status):
    """The session's own key changed: the answer is 91 00 without a MAC, the session ends."""

    def __init__(self) -> None:
        super().__init__(OK)
