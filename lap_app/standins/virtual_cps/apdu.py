"""Parsing of short command APDUs (ISO 7816-4 cases 1 to 4) and the status words the card uses."""

from __future__ import annotations

from dataclasses import dataclass

SW_OK = b"\x90\x00"
SW_END_OF_FILE = b"\x62\x82"  # fewer bytes than Le: end of file reached
SW_WRONG_LENGTH = b"\x67\x00"
SW_SECURITY_NOT_SATISFIED = b"\x69\x82"  # PIN not verified
SW_PIN_BLOCKED = b"\x69\x83"  # authentication method blocked
SW_CONDITIONS_NOT_SATISFIED = b"\x69\x85"  # e.g. no security environment set
SW_NO_CURRENT_EF = b"\x69\x86"
SW_WRONG_DATA = b"\x6A\x80"
SW_FILE_NOT_FOUND = b"\x6A\x82"
SW_WRONG_P1P2 = b"\x6A\x86"
SW_LC_INCONSISTENT = b"\x6A\x87"
SW_REFERENCE_NOT_FOUND = b"\x6A\x88"
SW_OFFSET_OUTSIDE = b"\x6B\x00"
SW_INS_NOT_SUPPORTED = b"\x6D\x00"
SW_CLA_NOT_SUPPORTED = b"\x6E\x00"


def sw_more_data(available: int) -> bytes:
    """``61 xx``: xx bytes (00 = 256 or more) wait for GET RESPONSE."""
    return bytes([0x61, available if available < 256 else 0])


def sw_wrong_le(exact: int) -> bytes:
    return bytes([0x6C, exact])


def sw_tries_left(tries: int) -> bytes:
    return bytes([0x63, 0xC0 | tries])


class MalformedApdu(Exception):
    """The APDU's length bytes are inconsistent (answered with 67 00)."""


@dataclass(frozen=True, slots=True)
class Command:
    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes
    le: int | None  # None: no Le field; 256 when Le byte is 00

    @property
    def p1p2(self) -> int:
        return (self.p1 << 8) | self.p2


def parse_command(apdu: bytes) -> Command:
    """Parse a short APDU; extended lengths are not supported by this card (67 00)."""
    if len(apdu) < 4:
        raise MalformedApdu
    cla, ins, p1, p2 = apdu[:4]
    body = apdu[4:]
    if not body:
        return Command(cla, ins, p1, p2, b"", None)  # case 1
    if len(body) == 1:
        return Command(cla, ins, p1, p2, b"", body[0] or 256)  # case 2
    lc = body[0]
    if lc == 0:  # extended length
        raise MalformedApdu
    if len(body) == 1 + lc:
        return Command(cla, ins, p1, p2, bytes(body[1:]), None)  # case 3
    if len(body) == 2 + lc:
        return Command(cla, ins, p1, p2, bytes(body[1:-1]), body[-1] or 256)  # case 4
    raise MalformedApdu


def parse_tlv(data: bytes) -> list[tuple[int, bytes]]:
    """Flat BER-TLV list (1- or 2-byte tags, short or 81/82 lengths). Raises ValueError."""
    items: list[tuple[int, bytes]] = []
    i = 0
    while i < len(data):
        tag = data[i]
        i += 1
        if tag & 0x1F == 0x1F:  # multi-byte tag
            while True:
                if i >= len(data):
                    raise ValueError("truncated tag")
                tag = (tag << 8) | data[i]
                i += 1
                if not data[i - 1] & 0x80:
                    break
        if i >= len(data):
            raise ValueError("truncated length")
        length = data[i]
        i += 1
        if length & 0x80:
            count = length & 0x7F
            if count not in (1, 2) or i + count > len(data):
                raise ValueError("bad length")
            length = int.from_bytes(data[i:i + count], "big")
            i += count
        if i + length > len(data):
            raise ValueError("truncated value")
        items.append((tag, data[i:i + length]))
        i += length
    return items


def tlv(tag: int, value: bytes) -> bytes:
    tag_bytes = tag.to_bytes((tag.bit_length() + 7) // 8 or 1, "big")
    if len(value) < 0x80:
        length = bytes([len(value)])
    elif len(value) < 0x100:
        length = bytes([0x81, len(value)])
    else:
        length = bytes([0x82]) + len(value).to_bytes(2, "big")
    return tag_bytes + length + value
