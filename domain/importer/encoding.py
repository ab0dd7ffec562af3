"""Which text encoding a file's bytes are in: UTF-8 (with or without BOM), else GB18030.

Excel in mainland China saves CSV as GB18030 (GBK). A file that is valid UTF-8 is read as
UTF-8. One that is not is read as GB18030 when all of it decodes so and its UTF-8 reading is
mostly broken sequences rather than a few bad bytes among good characters (a damaged UTF-8
file keeps its good rows, and its bad bytes are reported on their lines).
"""

import codecs
import io
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TextIO

from domain.errors import ValidationError

UTF8, GB18030 = "utf-8", "gb18030"
_CHUNK = 1 << 20
Chunks = Callable[[], Iterable[bytes]]


def declared(name: str) -> str:
    """The canonical name of an encoding given by a person, or a ValidationError."""
    try:
        found = codecs.lookup(name.strip()).name
        "".encode(found)  # refuses codecs that are not text encodings (base64, zip)
    except (LookupError, ValueError):
        raise ValidationError.single(
            "encoding", f"'{name[:64]}' is not a known encoding (e.g. utf-8, gb18030)"
        ) from None
    return UTF8 if found == "utf-8-sig" else found  # a UTF-8 BOM is skipped either way


def _decodes(chunks: Chunks, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        for chunk in chunks():
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _mostly_broken_utf8(chunks: Chunks) -> bool:
    """Whether reading as UTF-8 gives more broken sequences than non-ASCII characters."""
    decoder = codecs.getincrementaldecoder(UTF8)("replace")
    broken = good = 0
    for chunk in chunks():
        text = decoder.decode(chunk)
        errors = text.count("\ufffd")
        broken += errors
        good += len(text) - len(text.encode("ascii", "ignore")) - errors
    return broken > good


def detect(chunks: Chunks) -> str:
    """UTF8 or GB18030, for bytes that `chunks()` yields afresh at each call."""
    if _decodes(chunks, UTF8):
        return UTF8
    if _decodes(chunks, GB18030) and _mostly_broken_utf8(chunks):
        return GB18030
    return UTF8


def _file_chunks(path: Path) -> Chunks:
    def chunks() -> Iterator[bytes]:
        with path.open("rb") as stream:
            while chunk := stream.read(_CHUNK):
                yield chunk

    return chunks


def _python_name(encoding: str) -> str:
    return "utf-8-sig" if encoding == UTF8 else encoding  # a UTF-8 BOM is not text


def open_text(path: Path, encoding: str | None) -> tuple[TextIO, str]:
    """The file as text, and the encoding it is read in (declared, or detected)."""
    chosen = declared(encoding) if encoding else detect(_file_chunks(path))
    # Undecodable bytes become surrogate escapes that the reader reports on their own line.
    stream = path.open(encoding=_python_name(chosen), errors="surrogateescape", newline="")
    return stream, chosen


def decode(data: bytes, encoding: str | None) -> tuple[TextIO, str]:
    """Bytes as text, and the encoding they are read in (declared, or detected)."""
    chosen = declared(encoding) if encoding else detect(lambda: (data,))
    text = data.decode(_python_name(chosen), errors="surrogateescape")
    return io.StringIO(text, newline=""), chosen


def undecodable_reason(encoding: str) -> str:
    """What a row with bytes the encoding cannot read is told."""
    return f"contains bytes that are not valid {encoding.upper()}"
