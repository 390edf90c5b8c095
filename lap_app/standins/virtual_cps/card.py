"""A virtual CPS3 at APDU level: the IAS-ECC subset of docs/cps-card.md.

File system (ids chosen by this project, documented in docs/cps-card-layer.md)::

    3F00            MF
    3F00/D003       EF.SN.ICC: 5A 0A 80 25 00 00 01 <5-byte serial>
    3F00/0001       DF of the IAS-ECC application, AID E8 28 BD 08 0F 80 25 00 00 01 FF 00 10
    3F00/0001/C001  EF.CERT.AUT: DER of the authentication certificate (key 82)
    3F00/0001/C002  EF.CERT.SIG: DER of the signature certificate (key 81)

PIN reference 01 (the global PIN): 8 bytes, ASCII digits padded with FF; 3 tries. Keys are
usable only while the IAS-ECC DF (or a file in it) is the current one. Results longer than
255 bytes (the 256-byte signatures) are returned through ``61 xx`` + GET RESPONSE, as IAS-ECC
cards do over T=0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lap_app.standins.virtual_cps import apdu as sw
from lap_app.standins.virtual_cps.apdu import Command, MalformedApdu, parse_command, parse_tlv, tlv
from lap_app.standins.virtual_cps.pin_store import MAX_TRIES, MemoryPinCounter, PinCounter

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

    from lap_app.standins.pki import Holder

# A key, or what loads it when the card first uses it (``holder_files``: no cryptography before)

ATR_CPS3 = bytes.fromhex("3BAC00402A001225006480000310009000")
AID_IAS_ECC = bytes.fromhex("E828BD080F8025000001FF0010")
ANS_ISSUER = bytes.fromhex("8025000001")
FID_MF, FID_SN_ICC, FID_APP, FID_CERT_AUT, FID_CERT_SIG = 0x3F00, 0xD003, 0x0001, 0xC001, 0xC002
PIN_REFERENCE = 0x01
PIN_LENGTH = 8  # padded PIN block
KEY_SIGN, KEY_AUTH = 0x81, 0x82
ALG_SIGN_SHA256, ALG_AUTH_PKCS1 = 0x42, 0x02
SHA256_DIGESTINFO_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")
PIN_OBJECT_REQUEST = bytes.fromhex("4D087006BF810102A080")  # GET DATA of the PIN 01 counter

INS_SELECT, INS_READ_BINARY, INS_GET_DATA, INS_VERIFY = 0xA4, 0xB0, 0xCB, 0x20
INS_MSE, INS_PSO, INS_INTERNAL_AUTH, INS_GET_RESPONSE = 0x22, 0x2A, 0x88, 0xC0


@dataclass(slots=True)
class Node:
    fid: int
    parent: Node | None = None
    content: bytes | None = None  # None for a DF
    aid: bytes | None = None
    children: dict[int, Node] = field(default_factory=dict)

    @property
    def is_df(self) -> bool:
        return self.content is None

    def add(self, child: Node) -> Node:
        child.parent = self
        self.children[child.fid] = child
        return child

    def fcp(self) -> bytes:
        if self.is_df:
            body = tlv(0x82, b"\x38") + tlv(0x83, self.fid.to_bytes(2, "big"))
            if self.aid:
                body += tlv(0x84, self.aid)
        else:
            if self.content is None:
                raise RuntimeError(f"elementary file {self.fid:04X} has no content")
            body = (tlv(0x80, len(self.content).to_bytes(2, "big")) + tlv(0x82, b"\x01")
                    + tlv(0x83, self.fid.to_bytes(2, "big")))
        return tlv(0x62, body)


def pin_block(pin: str) -> bytes:
    """The VERIFY data for ``pin``: ASCII digits padded with FF to 8 bytes."""
    raw = pin.encode("ascii")
    return raw + b"\xFF" * (PIN_LENGTH - len(raw))


class VirtualCps:
    """One card: answers ``process(apdu) -> response`` (data + SW1 SW2)."""

    def __init__(self, *, serial: bytes, auth_key: rsa.RSAPrivateKey | Callable[[], rsa.RSAPrivateKey],
                 auth_cert_der: bytes, sign_key: rsa.RSAPrivateKey | Callable[[], rsa.RSAPrivateKey],
                 sign_cert_der: bytes, pin: str,
                 pin_counter: PinCounter | None = None, atr: bytes = ATR_CPS3) -> None:
        if len(serial) != 5:
            raise ValueError("the card serial is 5 bytes")
        self.atr = atr
        self._pin_block = pin_block(pin)
        # a key or its loader (``holder_files``): loaded when the card first signs
        self._keys: dict[int, rsa.RSAPrivateKey | Callable[[], rsa.RSAPrivateKey]] = {
            KEY_AUTH: auth_key, KEY_SIGN: sign_key}
        self._counter = pin_counter or MemoryPinCounter()
        self.mf = Node(FID_MF)
        self.mf.add(Node(FID_SN_ICC, content=tlv(0x5A, ANS_ISSUER + serial)))
        self.app = self.mf.add(Node(FID_APP, aid=AID_IAS_ECC))
        self.app.add(Node(FID_CERT_AUT, content=auth_cert_der))
        self.app.add(Node(FID_CERT_SIG, content=sign_cert_der))
        self._handlers: dict[int, Callable[[Command], bytes]] = {  # built once: every APDU looks here
            INS_SELECT: self._select, INS_READ_BINARY: self._read_binary, INS_GET_DATA: self._get_data,
            INS_VERIFY: self._verify, INS_MSE: self._mse, INS_PSO: self._pso,
            INS_INTERNAL_AUTH: self._internal_authenticate,
        }
        self.power_on()

    @classmethod
    def from_holder(cls, holder: Holder, *, persist_pin: bool = True, pin: str | None = None) -> VirtualCps:
        """A card for a ``lap_app.standins.pki.Holder``; its PIN counter lives in the PKI dir."""
        from lap_app.standins.pki import DEMO_PIN
        from lap_app.standins.virtual_cps.pin_store import FilePinCounter

        counter = FilePinCounter(holder.pin_state_path) if persist_pin else MemoryPinCounter()
        return cls(serial=holder.identity.serial_bytes, auth_key=holder.auth_key,
                   auth_cert_der=holder.auth_cert_der, sign_key=holder.sign_key,
                   sign_cert_der=holder.sign_cert_der, pin=pin or DEMO_PIN, pin_counter=counter)

    # --- power and state ----------------------------------------------------------------------

    def power_on(self) -> None:
        """Power up / reset: the security state and the selection are lost."""
        self.current_df = self.mf
        self.current_ef: Node | None = None
        self.pin_verified = False
        self.environment: tuple[int, int] | None = None  # (template B6|A4, key reference)
        self._pending = b""
        self._tries = self._counter.load()

    reset = power_on

    @property
    def tries_left(self) -> int:
        return self._tries

    # --- dispatch -----------------------------------------------------------------------------

    def process(self, raw: bytes) -> bytes:
        try:
            cmd = parse_command(bytes(raw))
        except MalformedApdu:
            self._pending = b""
            return sw.SW_WRONG_LENGTH
        if cmd.cla != 0x00:
            self._pending = b""
            return sw.SW_CLA_NOT_SUPPORTED
        if cmd.ins == INS_GET_RESPONSE:
            return self._get_response(cmd)
        self._pending = b""
        handler = self._handlers.get(cmd.ins)
        if handler is None:
            return sw.SW_INS_NOT_SUPPORTED
        return handler(cmd)

    def _long_result(self, data: bytes, le: int | None) -> bytes:
        if len(data) < 256 and le is not None and le >= len(data):
            return data + sw.SW_OK
        self._pending = data
        return sw.sw_more_data(len(data))

    def _get_response(self, cmd: Command) -> bytes:
        if cmd.p1p2 != 0 or cmd.data:
            self._pending = b""
            return sw.SW_WRONG_P1P2 if cmd.p1p2 else sw.SW_WRONG_LENGTH
        if not self._pending:
            return sw.SW_CONDITIONS_NOT_SATISFIED
        le = cmd.le or 256
        if le > len(self._pending):
            return sw.sw_wrong_le(len(self._pending))
        chunk, self._pending = self._pending[:le], self._pending[le:]
        return chunk + (sw.sw_more_data(len(self._pending)) if self._pending else sw.SW_OK)

    # --- files --------------------------------------------------------------------------------

    def _select(self, cmd: Command) -> bytes:
        if cmd.p2 not in (0x00, 0x04, 0x0C):
            return sw.SW_WRONG_P1P2
        if not cmd.data:
            return sw.SW_WRONG_LENGTH
        if cmd.p1 == 0x04:  # by DF name
            node = self.app if cmd.data == self.app.aid else None
        elif cmd.p1 in (0x00, 0x08, 0x09):
            if len(cmd.data) % 2 or (cmd.p1 == 0x00 and len(cmd.data) != 2):
                return sw.SW_LC_INCONSISTENT
            fids = [int.from_bytes(cmd.data[i:i + 2], "big") for i in range(0, len(cmd.data), 2)]
            node = self._resolve(cmd.p1, fids)
        else:
            return sw.SW_WRONG_P1P2
        if node is None:
            return sw.SW_FILE_NOT_FOUND
        if node.is_df:
            self.current_df, self.current_ef = node, None
        else:
            if node.parent is None:
                raise RuntimeError(f"elementary file {node.fid:04X} outside any DF")
            self.current_df, self.current_ef = node.parent, node
        return sw.SW_OK if cmd.p2 == 0x0C else node.fcp() + sw.SW_OK

    def _resolve(self, p1: int, fids: list[int]) -> Node | None:
        if fids[0] == FID_MF:  # an absolute path (also accepted for P1 = 08 / 09)
            node, fids = self.mf, fids[1:]
        elif p1 == 0x00:  # a child of the current DF, its parent, or a sibling
            candidates = [self.current_df, self.current_df.parent]
            return next((c.children[fids[0]] for c in candidates if c and fids[0] in c.children), None)
        else:
            node = self.mf if p1 == 0x08 else self.current_df
        for fid in fids:
            if not node.is_df or fid not in node.children:
                return None
            node = node.children[fid]
        return node

    def _read_binary(self, cmd: Command) -> bytes:
        if cmd.data:
            return sw.SW_WRONG_LENGTH
        if cmd.p1 & 0x80:  # short EF identifier: not supported by this card
            return sw.SW_WRONG_P1P2
        if self.current_ef is None or self.current_ef.content is None:
            return sw.SW_NO_CURRENT_EF
        content, offset = self.current_ef.content, cmd.p1p2
        if offset > len(content) or (offset == len(content) and content):
            return sw.SW_OFFSET_OUTSIDE
        wanted = cmd.le or 256
        chunk = content[offset:offset + wanted]
        return chunk + (sw.SW_OK if len(chunk) == wanted else sw.SW_END_OF_FILE)

    def _get_data(self, cmd: Command) -> bytes:
        if cmd.p1p2 != 0x3FFF:
            return sw.SW_WRONG_P1P2
        if not cmd.data:
            return sw.SW_WRONG_LENGTH
        if cmd.data != PIN_OBJECT_REQUEST:
            try:
                parse_tlv(cmd.data)
            except ValueError:
                return sw.SW_WRONG_DATA
            return sw.SW_REFERENCE_NOT_FOUND
        counters = tlv(0x9A, bytes([MAX_TRIES])) + tlv(0x9B, bytes([self._tries]))
        counters += tlv(0x80, b"\x04") + tlv(0x81, bytes([PIN_LENGTH]))  # min length, block length
        body = tlv(0x70, tlv(0xBF8101, tlv(0xA0, counters)))
        return self._long_result(body, cmd.le)

    # --- PIN ----------------------------------------------------------------------------------

    def _verify(self, cmd: Command) -> bytes:
        if cmd.p1 != 0x00:
            return sw.SW_WRONG_P1P2
        if cmd.p2 != PIN_REFERENCE:
            return sw.SW_REFERENCE_NOT_FOUND
        if cmd.le is not None:
            return sw.SW_WRONG_LENGTH
        if self._tries == 0:
            return sw.SW_PIN_BLOCKED
        if not cmd.data:  # status query: no try used
            return sw.SW_OK if self.pin_verified else sw.sw_tries_left(self._tries)
        if len(cmd.data) != PIN_LENGTH:
            return sw.SW_WRONG_LENGTH
        if cmd.data == self._pin_block:
            self.pin_verified = True
            if self._tries != MAX_TRIES:
                self._set_tries(MAX_TRIES)
            return sw.SW_OK
        self.pin_verified = False
        self._set_tries(self._tries - 1)
        return sw.sw_tries_left(self._tries)

    def _set_tries(self, tries: int) -> None:
        self._counter.save(tries)  # persisted before the answer, as a card writes its EEPROM
        self._tries = tries

    # --- keys ---------------------------------------------------------------------------------

    def _mse(self, cmd: Command) -> bytes:
        if cmd.p1 != 0x41 or cmd.p2 not in (0xB6, 0xA4):
            return sw.SW_WRONG_P1P2
        if not cmd.data or cmd.le is not None:
            return sw.SW_WRONG_LENGTH
        try:
            fields = dict(parse_tlv(cmd.data))
        except ValueError:
            return sw.SW_WRONG_DATA
        algorithm, key = fields.get(0x80), fields.get(0x84)
        if algorithm is None or key is None or len(algorithm) != 1 or len(key) != 1:
            return sw.SW_WRONG_DATA
        expected = (ALG_SIGN_SHA256, KEY_SIGN) if cmd.p2 == 0xB6 else (ALG_AUTH_PKCS1, KEY_AUTH)
        if self.current_df is not self.app or (algorithm[0], key[0]) != expected:
            self.environment = None
            return sw.SW_REFERENCE_NOT_FOUND
        self.environment = (cmd.p2, key[0])
        return sw.SW_OK

    def _pso(self, cmd: Command) -> bytes:
        if cmd.p1p2 != 0x9E9A:  # only COMPUTE DIGITAL SIGNATURE
            return sw.SW_WRONG_P1P2
        if self.environment != (0xB6, KEY_SIGN):
            return sw.SW_CONDITIONS_NOT_SATISFIED
        if not self.pin_verified:
            return sw.SW_SECURITY_NOT_SATISFIED
        if len(cmd.data) != 32:
            return sw.SW_WRONG_LENGTH
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding, utils

        signature = self._key(KEY_SIGN).sign(cmd.data, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
        return self._long_result(signature, cmd.le)

    def _key(self, reference: int) -> rsa.RSAPrivateKey:
        key = self._keys[reference]
        if callable(key):
            key = self._keys[reference] = key()
        return key

    def _internal_authenticate(self, cmd: Command) -> bytes:
        if cmd.p1p2 != 0:
            return sw.SW_WRONG_P1P2
        if self.environment != (0xA4, KEY_AUTH):
            return sw.SW_CONDITIONS_NOT_SATISFIED
        if not self.pin_verified:
            return sw.SW_SECURITY_NOT_SATISFIED
        key = self._key(KEY_AUTH)
        if not cmd.data or len(cmd.data) > key.key_size // 8 - 11:
            return sw.SW_WRONG_LENGTH
        return self._long_result(_pkcs1_sign_raw(key, cmd.data), cmd.le)


def _pkcs1_sign_raw(key: rsa.RSAPrivateKey, data: bytes) -> bytes:
    """PKCS#1 v1.5 type-1 signature of ``data`` as given (a DigestInfo, as the card does)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, utils

    if data.startswith(SHA256_DIGESTINFO_PREFIX) and len(data) == len(SHA256_DIGESTINFO_PREFIX) + 32:
        return key.sign(data[-32:], padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
    size = key.key_size // 8
    block = b"\x00\x01" + b"\xFF" * (size - 3 - len(data)) + b"\x00" + data
    numbers = key.private_numbers()
    value = pow(int.from_bytes(block, "big"), numbers.d, numbers.public_numbers.n)
    return value.to_bytes(size, "big")
