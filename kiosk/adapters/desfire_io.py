"""MIFARE DESFire EV2/EV3 native commands in ISO 7816 APDUs, and the ``desfire`` tap.

Every command goes out as ``90 INS 00 00 Lc data 00``; the card answers data and ``91 xx``
(``91 00`` done, ``91 AF`` more frames: fetched with ``90 AF 00 00 00``, ``91 AE`` wrong key).
The kiosk application (AID ``4F494B``, AES keys 0 and 1) holds the signed record twice: file 1,
free to read, so any station can see whose card it is (and so an unverified visitor can be
told apart offline), and file 2, readable only after AuthenticateEV2First with key 1 and read
under the session's CMAC. Both keys are the card's own, diversified (AN10922) from its
township's key by its real UID. Docs: docs/cards.md.

On a tap (``read``): select; read file 1; find the key for the record's township (the card key
file, or the county, which relays the challenge-response); AuthenticateEV2First with a fresh
RndA; GetCardUID (encrypted, under MAC) must give the UID the record names, which is how a
random-UID card shows its real one; file 2 under MAC must equal file 1.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from kiosk.adapters.card_access import DESFIRE_AID, CardAccess
from kiosk.domain.card_auth import KeyProof, NotChecked, ProofFailed
from kiosk.domain.card_records import MAX_FILE, RecordRefused, parse_record, unframe
from kiosk.errors import CardIOError
from kiosk.protocol import desfire as ev2
from kiosk.protocol.desfire import Session

log = logging.getLogger(__name__)
Transmit = Callable[[bytes], bytes]
PUBLIC_FILE, MAC_FILE = 1, 2
READ_KEY, MASTER_KEY = 1, 0
MORE, DONE, AUTH_ERROR = 0xAF, 0x00, 0xAE
FRAME = 59  # data bytes in one answer frame of a DESFire card
Tap = tuple[bytes, bytes | None, KeyProof | NotChecked | ProofFailed | None]


def exchange(transmit: Transmit, ins: int, data: bytes = b"") -> tuple[int, bytes]:
    """One native command frame: (status byte after 91, data). CardIOError if not DESFire."""
    apdu = bytes([0x90, ins, 0x00, 0x00]) + (bytes([len(data)]) + data if data else b"") + b"\x00"
    response = transmit(apdu)
    if len(response) < 2 or response[-2] != 0x91:
        raise CardIOError(f"desfire {ins:02X}", response[-2:])
    return response[-1], response[:-2]


def command(transmit: Transmit, ins: int, data: bytes = b"") -> bytes:
    """A command whose answer may come in several frames (91 AF); CardIOError unless 91 00."""
    code, out = exchange(transmit, ins, data)
    while code == MORE:
        code, more = exchange(transmit, MORE)
        out += more
    if code != DONE:
        raise CardIOError(f"desfire {ins:02X}", bytes([0x91, code]))
    return out


def secure(transmit: Transmit, session: Session, ins: int, header: bytes = b"",
           data: bytes = b"", decrypt: bool = False) -> bytes:
    """A command under the session's MAC; the answer's MAC is checked and its data returned
    (decrypted first when ``decrypt``: the IV counts this command)."""
    out = command(transmit, ins, header + data + session.command_mac(ins, header, data))
    if len(out) < 8:
        raise ev2.Ev2Failed("answer without its MAC")
    plain = session.decrypt_response(out[:-8]) if decrypt else out[:-8]
    session.check_response(DONE, out[:-8], out[-8:])
    return plain


def select(transmit: Transmit, aid: bytes = DESFIRE_AID) -> bool | None:
    """True: the kiosk application is there; False: a DESFire without it; None: no DESFire."""
    try:
        code, _ = exchange(transmit, 0x5A, aid)
    except CardIOError:
        return None
    return code == DONE if code in (DONE, 0xA0) else None


def _span(file_no: int, offset: int, length: int) -> bytes:
    return bytes([file_no]) + offset.to_bytes(3, "little") + length.to_bytes(3, "little")


def read_plain(transmit: Transmit, file_no: int) -> bytes:
    """A free file's framed record: one frame's worth first, then only what its length says
    is left (not the whole file: each frame is a round trip to the card)."""
    head = command(transmit, 0xBD, _span(file_no, 0, FRAME))
    length = 2 + int.from_bytes(head[:2], "big") if len(head) >= 2 else 0
    if FRAME < length <= MAX_FILE:
        head += command(transmit, 0xBD, _span(file_no, FRAME, length - FRAME))
    return head


def read_mac(transmit: Transmit, session: Session, file_no: int, length: int) -> bytes:
    return secure(transmit, session, 0xBD, _span(file_no, 0, length))


def key_version(transmit: Transmit, key_no: int) -> int:
    answer = command(transmit, 0x64, bytes([key_no]))
    if len(answer) != 1:
        raise CardIOError("get key version")
    return answer[0]


def card_uid(transmit: Transmit, session: Session) -> bytes:
    """GetCardUID: the real UID (a random-UID card's too), encrypted under the session."""
    return secure(transmit, session, 0x51, decrypt=True)


def authenticate(transmit: Transmit, key_no: int, key: bytes) -> Session:
    """AuthenticateEV2First with this key and a fresh RndA; Ev2Failed when the card does not
    hold the key (it answers 91 AE, or without our RndA)."""
    code, enc_rnd_b = exchange(transmit, 0x71, bytes([key_no, 0x00]))
    if code != MORE:
        raise ev2.Ev2Failed(f"the card refused authentication (91 {code:02X})")
    rnd_a = os.urandom(16)
    rnd_b, answer = ev2.pcd_answer(key, enc_rnd_b, rnd_a)
    code, last = exchange(transmit, MORE, answer)
    if code != DONE:
        raise ev2.Ev2Failed(f"the card did not accept our answer (91 {code:02X})")
    return ev2.pcd_finish(key, rnd_a, rnd_b, last)


def authenticate_relayed(transmit: Transmit, relay, township: str, version: int, uid: bytes,
                         key_no: int) -> Session:
    """The same exchange with the county holding the key (it makes RndA and checks RndA')."""
    code, enc_rnd_b = exchange(transmit, 0x71, bytes([key_no, 0x00]))
    if code != MORE:
        raise ev2.Ev2Failed(f"the card refused authentication (91 {code:02X})")
    token, answer = relay.begin(township, version, uid, key_no, enc_rnd_b)
    code, last = exchange(transmit, MORE, answer)
    if code != DONE:
        raise ev2.Ev2Failed(f"the card did not accept the county's answer (91 {code:02X})")
    return relay.finish(token, last)


def change_key_data(new: bytes, version: int, old: bytes | None) -> bytes:
    """ChangeKey's plain data: for the key the session was opened with, the new key and its
    version; for another key, new XOR old, the version and the CRC32 of the new key."""
    if old is None:
        return new + bytes([version])
    return bytes(a ^ b for a, b in zip(new, old, strict=True)) + bytes([version]) + ev2.crc32(new)


def change_key(transmit: Transmit, session: Session, key_no: int, new: bytes, version: int,
               old: bytes | None) -> None:
    """Change key ``key_no``; ``old`` None means it is the session's own key, which ends the
    session (the card then answers without a MAC)."""
    body = session.encrypt_command(change_key_data(new, version, old))
    out = command(transmit, 0xC4, bytes([key_no]) + body
                  + session.command_mac(0xC4, bytes([key_no]), body))
    if old is not None:
        session.check_response(DONE, out[:-8], out[-8:])


def card_keys(access: CardAccess, uid: bytes, version: int) -> tuple[bytes, bytes] | None:
    """(key 0, key 1) of this card under this station's township key of ``version``."""
    township = access.keyring.key(version) if access.keyring else None
    if township is None:
        return None
    return tuple(ev2.card_key(township, uid, DESFIRE_AID, n)  # type: ignore[return-value]
                 for n in (MASTER_KEY, READ_KEY))


def read(transmit: Transmit, tap_uid: bytes, access: CardAccess) -> Tap:
    """(UID, framed record, proof) of a card whose kiosk application is selected."""
    public = read_plain(transmit, PUBLIC_FILE)
    data = unframe(public)
    if data is None:
        return tap_uid, None, None
    try:
        binding = parse_record(data).auth
        uid = parse_record(data).uid
    except RecordRefused:
        return tap_uid, public, ProofFailed("malformed record")
    if binding is None or binding.profile != "desfire":
        return tap_uid, public, ProofFailed("no desfire binding in the record")
    own = access.keyring is not None and access.keyring.township == binding.township
    try:
        if own:
            assert access.keyring is not None
            session, version = _authenticate_own(transmit, uid, access)
        elif access.relay is not None:
            version = key_version(transmit, READ_KEY)
            session = authenticate_relayed(transmit, access.relay, binding.township, version,
                                           uid, READ_KEY)
        else:
            return tap_uid, public, NotChecked("no_key")
        if card_uid(transmit, session)[:len(uid)] != uid:
            return tap_uid, public, ProofFailed("GetCardUID names another card")
        if read_mac(transmit, session, MAC_FILE, len(public)) != public:
            return tap_uid, public, ProofFailed("the protected copy differs")
    except (ev2.Ev2Failed, CardIOError) as exc:  # a wrong answer, or one a DESFire never gives
        if isinstance(exc, CardIOError) and not exc.sw:
            raise  # no answer at all: the card left (a tap to repeat, not a refusal)
        return tap_uid, public, ProofFailed(str(exc))
    except OSError as exc:  # the county is out of reach
        log.info("relayed card authentication unavailable: %s", exc)
        return tap_uid, public, NotChecked("offline")
    rekeyed = None
    if own and access.rekey and access.keyring and version < access.keyring.version:
        rekeyed = rekey(transmit, uid, access, version)
    return uid, public, KeyProof(binding.township, version, relayed=not own, rekeyed_to=rekeyed)


def _authenticate_own(transmit: Transmit, uid: bytes, access: CardAccess) -> tuple[Session, int]:
    """A card of this township: with the current key version first (most cards have it),
    then, if the card refuses, with the version it says it has (a card to re-key)."""
    assert access.keyring is not None
    current = access.keyring.version
    try:
        return authenticate(transmit, READ_KEY, _read_key(access, uid, current)), current
    except ev2.Ev2Failed as refused:
        try:
            version = key_version(transmit, READ_KEY)
        except CardIOError:
            raise refused from None
        if version == current:
            raise
    return authenticate(transmit, READ_KEY, _read_key(access, uid, version)), version


def _read_key(access: CardAccess, uid: bytes, version: int) -> bytes:
    keys = card_keys(access, uid, version)
    if keys is None:
        raise ev2.Ev2Failed(f"no key of version {version} in the card key file")
    return keys[1]


def rekey(transmit: Transmit, uid: bytes, access: CardAccess, version: int) -> int | None:
    """Move an own card from an older township key to the current one (keys 1, then 0)."""
    assert access.keyring is not None
    old, new = card_keys(access, uid, version), card_keys(access, uid, access.keyring.version)
    assert old and new
    try:
        session = authenticate(transmit, MASTER_KEY, old[0])
        change_key(transmit, session, READ_KEY, new[1], access.keyring.version, old[1])
        change_key(transmit, session, MASTER_KEY, new[0], access.keyring.version, None)
    except (ev2.Ev2Failed, CardIOError) as exc:
        log.warning("DESFire card could not be re-keyed: %s", exc)
        return None
    log.info("DESFire card re-keyed from key version %d to %d", version, access.keyring.version)
    return access.keyring.version


def write(transmit: Transmit, uid: bytes, framed: bytes, access: CardAccess) -> None:
    """Write the framed record into both files, under the card's own key 0."""
    if len(framed) > MAX_FILE or not select(transmit):
        raise CardIOError("select application", b"\x91\xA0")
    assert access.keyring is not None  # personalised with it just before
    version = key_version(transmit, MASTER_KEY)
    keys = card_keys(access, uid, version)
    if keys is None:
        raise CardIOError("no card key of this card's version")
    try:
        session = authenticate(transmit, MASTER_KEY, keys[0])
        for file_no in (PUBLIC_FILE, MAC_FILE):
            secure(transmit, session, 0x3D, bytes([file_no]) + bytes(3)
                   + len(framed).to_bytes(3, "little"), framed)
    except ev2.Ev2Failed as exc:
        raise CardIOError(f"write record: {exc}") from None


FILE_SETTINGS = {PUBLIC_FILE: bytes([0x01, 0x00, 0xE0]),  # CMAC; read free, write key 0
                 MAC_FILE: bytes([0x01, 0x00, 0x10])}  # CMAC; read key 1, write key 0


def personalise(transmit: Transmit, tap_uid: bytes, access: CardAccess) -> tuple[bytes, int]:
    """At issuance: (real UID, key version) of a card that now holds the kiosk application,
    its two files and its own keys of this township's current version. A blank DESFire gets
    the application (the factory PICC settings let anyone create one); a card of this
    township issued before (revoked since) keeps its application and is re-keyed if old."""
    if access.keyring is None:
        raise CardIOError("no card key file (cards.desfire_key_file): DESFire cards cannot be "
                          "issued here")
    ring = access.keyring
    state = select(transmit)
    if state is None:
        raise CardIOError("not a DESFire card")
    if state is False:
        select(transmit, bytes(3))
        command(transmit, 0xCA, DESFIRE_AID + bytes([0x0B, 0x82]))  # 2 AES keys, all zero
        if not select(transmit):
            raise CardIOError("select application", b"\x91\xA0")
    try:
        session = authenticate(transmit, MASTER_KEY, bytes(16))
    except ev2.Ev2Failed:
        return _already_ours(transmit, tap_uid, access)
    try:
        uid = card_uid(transmit, session)
        for file_no, settings in FILE_SETTINGS.items():
            try:
                secure(transmit, session, 0xCD, bytes([file_no]) + settings
                       + MAX_FILE.to_bytes(3, "little"))
            except CardIOError as exc:
                if exc.sw != b"\x91\xDE":  # a duplicate: made by an interrupted issuance
                    raise
                session = authenticate(transmit, MASTER_KEY, bytes(16))
        keys = card_keys(access, uid, ring.version)
        assert keys is not None
        change_key(transmit, session, READ_KEY, keys[1], ring.version, bytes(16))
        change_key(transmit, session, MASTER_KEY, keys[0], ring.version, None)
    except ev2.Ev2Failed as exc:
        raise CardIOError(f"personalise: {exc}") from None
    return uid, ring.version


def _already_ours(transmit: Transmit, tap_uid: bytes, access: CardAccess) -> tuple[bytes, int]:
    assert access.keyring is not None
    try:
        data = unframe(read_plain(transmit, PUBLIC_FILE))
        uid = parse_record(data).uid if data else tap_uid  # a random-UID card's real one
        keys = card_keys(access, uid, version := key_version(transmit, MASTER_KEY))
        if keys is None:
            raise ev2.Ev2Failed("no key of this version")
        authenticate(transmit, MASTER_KEY, keys[0])
    except (ev2.Ev2Failed, RecordRefused, CardIOError):
        raise CardIOError("this card's kiosk application is keyed for another township") from None
    if version != access.keyring.version:
        rekey(transmit, uid, access, version)
    return uid, access.keyring.version
