"""Streaming multipart reader that enforces the size limit while the bytes arrive.

Starlette's form parser spools a whole file to disk before the endpoint sees it, so a 5 GB upload
would be read to the end before being refused. Here the request stream is fed chunk by chunk to
``python_multipart``'s parser and reading stops at the first byte over the limit (413, nothing
stored). Only the bytes are kept, in memory (the limit bounds them); the client's file name is
metadata for the evidence store, which files content under its hash: no user input reaches a path.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request
from python_multipart.multipart import MultipartParser, parse_options_header

from service.errors import BadInput, PayloadTooLarge, UnsupportedMediaType

FIELD_LIMIT = 8192
"""Per text field (reason, CSRF token): a form has no business sending more."""
MAX_PARTS = 8
OCTET_STREAM = "application/octet-stream"


@dataclass
class Upload:
    filename: str = ""
    declared_type: str | None = None
    data: bytearray = field(default_factory=bytearray)
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def has_file(self) -> bool:
        return bool(self.filename) or bool(self.data)


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str = ""
    filename: str | None = None
    content_type: str | None = None
    body: bytearray = field(default_factory=bytearray)


class _Collector:
    def __init__(self, max_bytes: int, file_field: str) -> None:
        self.max_bytes = max_bytes
        self.file_field = file_field
        self.upload = Upload()
        self.parts = 0
        self.part = _Part()
        self._field = bytearray()
        self._value = bytearray()

    def on_part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise BadInput(
                f"the form has more than {MAX_PARTS} parts; send one file in field"
                f" {self.file_field!r}",
                field=self.file_field,
            )
        self.part = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        self.part.headers[bytes(self._field).lower()] = bytes(self._value)
        self._field.clear()
        self._value.clear()

    def on_headers_finished(self) -> None:
        disposition, options = parse_options_header(
            self.part.headers.get(b"content-disposition", b"")
        )
        if disposition != b"form-data":
            raise BadInput(
                "each part needs 'Content-Disposition: form-data'", field=self.file_field
            )
        self.part.name = options.get(b"name", b"").decode("utf-8", "replace")
        raw_name = options.get(b"filename")
        self.part.filename = None if raw_name is None else raw_name.decode("utf-8", "replace")
        ctype = self.part.headers.get(b"content-type")
        self.part.content_type = None if ctype is None else ctype.decode("latin-1").strip()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.part
        part.body += data[start:end]
        is_file = part.name == self.file_field and part.filename is not None
        limit = self.max_bytes if is_file else FIELD_LIMIT
        if len(part.body) > limit:
            if is_file:
                raise PayloadTooLarge(
                    f"{part.filename or 'the file'} is over the {self.max_bytes}-byte upload limit;"
                    " attach a smaller file (compress or split it)"
                )
            raise BadInput(f"form field {part.name!r} is over {FIELD_LIMIT} bytes", field=part.name)

    def on_part_end(self) -> None:
        part = self.part
        if part.name == self.file_field and part.filename is not None:
            if self.upload.has_file:
                raise BadInput(
                    f"send exactly one {self.file_field!r} file per upload", field=self.file_field
                )
            self.upload.filename = part.filename
            declared = None if part.content_type is None else part.content_type.split(";")[0]
            self.upload.declared_type = None if declared in (None, "", OCTET_STREAM) else declared
            self.upload.data = part.body
        elif part.filename is None:
            self.upload.fields[part.name] = part.body.decode("utf-8", "replace")


async def read_upload(request: Request, *, max_bytes: int, file_field: str = "file") -> Upload:
    """The one file and the text fields of a ``multipart/form-data`` request."""
    ctype, options = parse_options_header(request.headers.get("content-type", ""))
    if ctype != b"multipart/form-data" or not options.get(b"boundary"):
        raise UnsupportedMediaType("send the file as multipart/form-data (field 'file')")
    declared_length = request.headers.get("content-length")
    overhead = MAX_PARTS * FIELD_LIMIT
    if (
        declared_length
        and declared_length.isdigit()
        and int(declared_length) > max_bytes + overhead
    ):
        raise PayloadTooLarge(
            f"the request is {declared_length} bytes, over the {max_bytes}-byte upload limit;"
            " attach a smaller file"
        )
    collector = _Collector(max_bytes, file_field)
    parser = MultipartParser(
        options[b"boundary"],
        {
            "on_part_begin": collector.on_part_begin,
            "on_part_data": collector.on_part_data,
            "on_part_end": collector.on_part_end,
            "on_header_field": collector.on_header_field,
            "on_header_value": collector.on_header_value,
            "on_header_end": collector.on_header_end,
            "on_headers_finished": collector.on_headers_finished,
        },
    )
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except (PayloadTooLarge, BadInput, UnsupportedMediaType):
        raise
    except Exception as exc:  # the parser's own errors: a malformed body, not a server fault
        raise BadInput(
            f"malformed multipart body ({type(exc).__name__}: {exc}); send the file in field"
            f" {file_field!r}",
            field=file_field,
        ) from exc
    if not collector.upload.has_file:
        raise BadInput(
            f"no file in field {file_field!r}; choose a file to upload", field=file_field
        )
    return collector.upload
