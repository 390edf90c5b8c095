"""A TrueType face whose everyday glyphs are embedded from one subset built once per process.

reportlab subsets a font anew for every document: it gathers the glyphs the document uses,
rebuilds a TrueType program from them and compresses it, a few milliseconds a face, most of a
page's cost. A GP prints all day from one process with the same glyphs: ASCII, the French
letters and the usual signs. Those make one fixed subset (subset 0) whose font program,
ToUnicode map and widths are built and compressed by the first document only. Rarer characters
(Greek, for instance) still go into subsets of their own, built for the document that uses them.
A reader sees the same glyphs either way; the file carries a few more unused ones.
"""

from __future__ import annotations

from typing import Any

from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.ttfonts import FF_NONSYMBOLIC, FF_SYMBOLIC, SUBSETN, TTFont, makeToUnicodeCMap

# Besides ASCII: French letters, then the signs of drug labels, posologies and addresses.
EVERYDAY_CHARACTERS = (
    "àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ"
    "«»’‘“”°µ½¼¾€…–—·×±≤≥²³•‰ñÑáíóúÁÍÓÚ"
)
FIRST_FREE_CODE = 256  # characters outside subset 0 open subset 1, as reportlab numbers them


class _Preformatted(pdfdoc.PDFObject):  # type: ignore[misc]  # reportlab ships no type hints
    """A PDF value whose bytes were formatted once (the same bytes in every document)."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def format(self, document: Any) -> bytes:
        return self._data


class _PreformattedObject(_Preformatted):
    """The same, for an object that stands on its own (a stream), referenced by number."""

    __RefOnly__ = 1


class EverydaySubsetFont(TTFont):  # type: ignore[misc]  # reportlab ships no type hints
    def __init__(self, name: str, filename: str) -> None:
        super().__init__(name, filename)
        char_to_glyph = self.face.charToGlyph
        extras = [ord(ch) for ch in EVERYDAY_CHARACTERS if ord(ch) in char_to_glyph]
        ascii_codes = [code if code in char_to_glyph else 0 for code in range(32, 127)]
        low = (extras[:31] + [0] * 31)[:31]  # codes 1-31; ASCII keeps its own codes, readable
        self._subset0 = [0, *low, *ascii_codes, *extras[31:]]
        self._codes0 = {char: code for code, char in enumerate(self._subset0) if char or not code}
        self._base_name0 = self._base_name(0)
        self._widths0 = [self.face.getCharWidth(char) for char in self._subset0]
        self._formatted_widths0: bytes | None = None  # 200-odd numbers, formatted once
        self._formatted0: dict[str, bytes] = {}  # font program and ToUnicode map, compressed

    def _base_name(self, subset: int) -> str:
        name: bytes = b"".join((SUBSETN(subset), b"+", self.face.name, self.face.subfontNameX))
        return name.decode("pdfdoc")

    def _document_state(self, doc: Any) -> Any:
        state = self.state.get(doc)
        if state is None:
            state = self.state[doc] = TTFont.State(False)
            state.assignments = dict(self._codes0)
            state.subsets = [list(self._subset0)]
            state.nextCode = FIRST_FREE_CODE
        return state

    def splitString(  # noqa: N802 - reportlab's name
        self, text: str, doc: Any, encoding: str = "utf-8"
    ) -> list[tuple[int, bytes]]:
        self._document_state(doc)
        pieces: list[tuple[int, bytes]] = super().splitString(text, doc, encoding)
        return pieces

    def addObjects(self, doc: Any) -> None:  # noqa: N802 - reportlab's name
        """reportlab's ``TTFont.addObjects``, with subset 0's streams formatted once."""
        state = self._document_state(doc)
        state.frozen = 1
        for number, subset in enumerate(state.subsets):
            internal_name = self.getSubsetInternalName(number, doc)[1:]
            base_name = self._base_name(number)
            font = pdfdoc.PDFTrueTypeFont()
            font.__Comment__ = f"Font {self.fontName} subset {number}"
            font.Name = internal_name
            font.BaseFont = base_name
            font.FirstChar = 0
            font.LastChar = len(subset) - 1
            if number == 0:
                self._add_everyday_subset(doc, font)
            else:
                font.Widths = pdfdoc.PDFArray([self.face.getCharWidth(char) for char in subset])
                cmap = _stream(doc, makeToUnicodeCMap(base_name, subset))
                font.ToUnicode = doc.Reference(cmap, "toUnicodeCMap:" + base_name)
                font.FontDescriptor = self.face.addSubsetObjects(doc, base_name, subset)
            doc.Reference(font, internal_name)
            doc.idToObject["BasicFonts"].dict[internal_name] = font
        del self.state[doc]

    def _add_everyday_subset(self, doc: Any, font: Any) -> None:
        base_name = self._base_name0
        if self._formatted_widths0 is None:
            self._formatted_widths0 = pdfdoc.PDFArray(self._widths0).format(doc)
        font.Widths = _Preformatted(self._formatted_widths0)
        cmap = self._stream0(doc, "cmap")
        font.ToUnicode = doc.Reference(cmap, "toUnicodeCMap:" + base_name)
        font.FontDescriptor = self._descriptor(doc, base_name, self._stream0(doc, "program"))

    def _stream0(self, doc: Any, kind: str) -> pdfdoc.PDFObject:
        """Subset 0's font program or ToUnicode map; formatted by the first compressed,
        unencrypted document, and reused by every later one."""
        cacheable = doc.compression and isinstance(doc.encrypt, pdfdoc.NoEncryption)
        data = self._formatted0.get(kind) if cacheable else None
        if data is not None:
            return _PreformattedObject(data)
        if kind == "program":
            stream = _stream(doc, self.face.makeSubset(self._subset0), length1=True)
        else:
            stream = _stream(doc, makeToUnicodeCMap(self._base_name0, self._subset0))
        if not cacheable:
            return stream
        self._formatted0[kind] = stream.format(doc)
        return _PreformattedObject(self._formatted0[kind])

    def _descriptor(self, doc: Any, base_name: str, program: pdfdoc.PDFObject) -> Any:
        """``TTFontFace.addSubsetObjects`` around an already built font program."""
        face = self.face
        descriptor = pdfdoc.PDFDictionary({
            "Type": "/FontDescriptor",
            "Ascent": face.ascent,
            "CapHeight": face.capHeight,
            "Descent": face.descent,
            "Flags": (face.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC,
            "FontBBox": pdfdoc.PDFArray(face.bbox),
            "FontName": pdfdoc.PDFName(base_name),
            "ItalicAngle": face.italicAngle,
            "StemV": face.stemV,
            "FontFile2": doc.Reference(program, f"fontFile:{face.filename}({base_name})"),
            "MissingWidth": face.defaultWidth,
        })
        return doc.Reference(descriptor, "fontDescriptor:" + base_name)


def _stream(doc: Any, content: str | bytes, *, length1: bool = False) -> pdfdoc.PDFStream:
    stream = pdfdoc.PDFStream()
    stream.content = content
    if length1:  # a font program states its uncompressed length
        stream.dictionary["Length1"] = len(content)
    if doc.compression:
        stream.filters = [pdfdoc.PDFZCompress]
    return stream
