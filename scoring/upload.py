"""Receive a multipart submission by streaming the request body straight into the store.

The body is fed chunk by chunk to python-multipart's streaming parser; the ``file`` part goes
to a :class:`scoring.store.StoredFile` (hashed while written, refused with
:class:`SubmissionTooLargeError` the moment it passes ``settings.submission_max_bytes``, no
partial file left), the optional ``description`` part is kept in memory up to a small cap.
Nothing is spooled by the web framework, so an oversize upload is always answered with the
service's JSON 413 naming the limit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from python_multipart.multipart import MultipartParseError, MultipartParser, parse_options_header

from arena.settings import Settings
from scoring.errors import SubmissionError
from scoring.store import StoredFile

__all__ = ["DESCRIPTION_MAX_BYTES", "Upload", "receive_upload"]

DESCRIPTION_MAX_BYTES = 16 * 1024


@dataclass(frozen=True)
class Upload:
    """A stored upload: content address, size, original name and description."""

    digest: str
    size: int
    filename: str
    description: str | None


class _Parts:
    """python-multipart callbacks routing the ``file`` and ``description`` parts."""

    def __init__(self, settings: Settings, limit: tuple[int, str] | None) -> None:
        self.settings, self.limit = settings, limit
        self.file: StoredFile | None = None
        self.stored: tuple[str, int] | None = None
        self.filename = "submission"
        self.description: bytearray | None = None
        self._target: str | None = None
        self._headers: dict[bytes, bytes] = {}
        self._field = self._value = b""

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": self.header_field,
            "on_header_value": self.header_value,
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
        }

    def part_begin(self) -> None:
        self._headers, self._field, self._value, self._target = {}, b"", b"", None

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field, self._value = b"", b""

    def headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if name == "file" and self.file is None and self.stored is None:
            self._target, self.file = "file", StoredFile(self.settings, self.limit)
            self.filename = options.get(b"filename", b"submission").decode("utf-8", "replace")
        elif name == "description":
            self._target, self.description = "description", bytearray()

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self._target == "file" and self.file is not None:
            self.file.write(data[start:end])
        elif self._target == "description" and self.description is not None:
            self.description += data[start:end]
            if len(self.description) > DESCRIPTION_MAX_BYTES:
                raise SubmissionError(f"form field 'description' is longer than {DESCRIPTION_MAX_BYTES} bytes")

    def part_end(self) -> None:
        if self._target == "file" and self.file is not None:
            self.stored = (self.file.commit(), self.file.size)
            self.file = None
        self._target = None

    def discard(self) -> None:
        if self.file is not None:
            self.file.discard()


async def receive_upload(
    content_type: str | None,
    body: AsyncIterator[bytes],
    settings: Settings,
    limit: tuple[int, str] | None = None,
) -> Upload:
    """Parse a ``multipart/form-data`` body as it arrives, storing its ``file`` part.

    Args:
        content_type: The request's Content-Type header (with the boundary).
        body: The request body, chunk by chunk.
        settings: Platform settings (store, ``submission_max_bytes``).
        limit: Largest file size in bytes and the rule's name (default ``submission_max_bytes``;
            a code archive: the challenge's ``code.max_upload_mb``).

    Returns:
        The stored upload. The caller queues it (or forgets it) with :func:`scoring.store.queue_submission`.

    Raises:
        SubmissionTooLargeError: the file passed the limit (nothing kept).
        SubmissionError: not multipart, malformed, no ``file`` field, description too long.
    """
    kind, options = parse_options_header(content_type)
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        raise SubmissionError("send the submission as multipart/form-data with the file in a field named 'file'")
    parts = _Parts(settings, limit)
    parser = MultipartParser(options[b"boundary"], parts.callbacks())
    try:
        async for chunk in body:
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as error:
        parts.discard()
        raise SubmissionError(f"malformed multipart upload: {error}") from None
    except BaseException:
        parts.discard()
        raise
    if parts.stored is None:
        parts.discard()
        raise SubmissionError("the upload has no complete form field named 'file'")
    description = None if parts.description is None else parts.description.decode("utf-8", "replace")
    return Upload(parts.stored[0], parts.stored[1], parts.filename, description)
