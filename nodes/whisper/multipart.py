"""A small multipart/form-data parser over a body held in memory (its size is bounded by the server)."""

from dataclasses import dataclass
from email.message import Message


@dataclass
class Part:
    name: str
    filename: str | None
    content_type: str | None
    data: bytes


class MultipartError(ValueError):
    pass


def _header_params(value: str) -> Message:
    msg = Message()
    msg["content-type"] = value
    return msg


def boundary_of(content_type: str) -> bytes:
    msg = _header_params(content_type)
    if msg.get_content_type() != "multipart/form-data":
        raise MultipartError("the body must be multipart/form-data")
    boundary = msg.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        raise MultipartError("multipart/form-data without a boundary")
    return boundary.encode("latin-1")


def parse(body: bytes, content_type: str) -> dict[str, Part]:
    """Parts by field name (the first part of a name wins); raises MultipartError on a broken body."""
    delimiter = b"\r\n--" + boundary_of(content_type)
    chunks = (b"\r\n" + body).split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise MultipartError("the multipart body is cut short or has no parts")
    parts: dict[str, Part] = {}
    for chunk in chunks[1:-1]:
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise MultipartError("a multipart part has no header end")
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, colon, value = line.partition(":")
            if colon:
                headers[key.strip().lower()] = value.strip()
        disposition = _header_params("x/x; " + headers.get("content-disposition", "").partition(";")[2])
        name = disposition.get_param("name")
        if not isinstance(name, str) or not name:
            raise MultipartError("a multipart part has no name")
        filename = disposition.get_param("filename")
        part = Part(name, filename if isinstance(filename, str) else None, headers.get("content-type"), data)
        parts.setdefault(name, part)
    return parts
