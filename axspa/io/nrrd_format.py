"""The NRRD file format (http://teem.sourceforge.net/nrrd/format.html), read and written without pynrrd, which
3D Slicer's Python does not bundle.

Reading: magic NRRD0001-NRRD0005; every standard field (``type``, ``dimension``, ``sizes``, ``endian``,
``encoding``, ``space``/``space dimension``, ``space directions`` with ``none`` rows, ``space origin``,
``kinds``, ``spacings``, ``line skip``/``byte skip``, ...) and ``key:=value`` pairs (Slicer's
``Segment0_Name:=...``); encodings raw, gzip, bzip2 and ascii; data in the same file or in one detached file
(``data file: name``, a ``.nhdr`` header). Detached data in several files (``data file: LIST`` or a
``%d`` pattern) is refused with a message saying so.

The header comes back as a dict shaped as pynrrd shapes it, which the callers rely on: ``sizes``,
``spacings`` and ``space origin`` as numpy arrays, ``space directions`` as an (axes x dims) float array whose
``none`` rows are NaN, ``kinds`` as a list of strings, numbers as numbers, everything else (key/value pairs
included) as strings. Arrays are returned in C order ([k, j, i] for a 3D file), native byte order.

Writing: a header with the fields in NRRD's customary order (``type``, ``dimension``, ``space``, ``sizes``,
``space directions``, ``kinds``, ``endian``, ``encoding``, ``space origin``; then ``key:=value`` pairs in the
caller's order), numbers printed with 17 significant digits, and the data raw or gzip (level 9); no time stamp,
so equal inputs give equal bytes.
"""

from __future__ import annotations

import bz2
import io
import re
import shlex
import zlib
from pathlib import Path
from typing import IO, Any, Dict, Optional, Tuple, Union

import numpy as np


class NrrdFormatError(ValueError):
    """A file that is not a NRRD file this reader understands (the message says what is wrong)."""


_TYPES = {
    "signed char": "i1", "int8": "i1", "int8_t": "i1",
    "uchar": "u1", "unsigned char": "u1", "uint8": "u1", "uint8_t": "u1",
    "short": "i2", "short int": "i2", "signed short": "i2", "signed short int": "i2", "int16": "i2", "int16_t": "i2",
    "ushort": "u2", "unsigned short": "u2", "unsigned short int": "u2", "uint16": "u2", "uint16_t": "u2",
    "int": "i4", "signed int": "i4", "int32": "i4", "int32_t": "i4",
    "uint": "u4", "unsigned int": "u4", "uint32": "u4", "uint32_t": "u4",
    "longlong": "i8", "long long": "i8", "long long int": "i8", "signed long long": "i8",
    "signed long long int": "i8", "int64": "i8", "int64_t": "i8",
    "ulonglong": "u8", "unsigned long long": "u8", "unsigned long long int": "u8", "uint64": "u8", "uint64_t": "u8",
    "float": "f4", "double": "f8",
}
_TYPE_NAMES = {"i1": "int8", "u1": "uint8", "i2": "int16", "u2": "uint16", "i4": "int32", "u4": "uint32",
               "i8": "int64", "u8": "uint64", "f4": "float", "f8": "double"}

# How each standard field's value is parsed and printed; a field not named here is kept as a string.
_FIELD_KINDS = {
    "dimension": "int", "space dimension": "int", "line skip": "int", "lineskip": "int", "byte skip": "int",
    "byteskip": "int",
    "min": "float", "max": "float", "old min": "float", "oldmin": "float", "old max": "float", "oldmax": "float",
    "sizes": "int list",
    "spacings": "float list", "thicknesses": "float list", "axis mins": "float list", "axismins": "float list",
    "axis maxs": "float list", "axismaxs": "float list",
    "kinds": "string list", "centerings": "string list", "centers": "string list",
    "labels": "quoted list", "units": "quoted list", "space units": "quoted list",
    "space origin": "vector",
    "space directions": "matrix", "measurement frame": "matrix",
}
# The order fields are written in (as pynrrd and ITK write them); other fields follow as key:=value pairs.
_WRITE_ORDER = ("type", "dimension", "space dimension", "space", "sizes", "space directions", "kinds", "endian",
                "encoding", "min", "max", "oldmin", "old min", "oldmax", "old max", "content", "sample units",
                "spacings", "thicknesses", "axis mins", "axismins", "axis maxs", "axismaxs", "centerings", "labels",
                "units", "space units", "space origin", "measurement frame")
_GZIP = ("gzip", "gz")
_BZIP2 = ("bzip2", "bz2")
_ASCII = ("ascii", "text", "txt")

PathLike = Union[str, Path]


# ------------------------------------------------------------------------------------------------ reading

def read_header(path: PathLike) -> Dict[str, Any]:
    """The parsed header of a NRRD (.nrrd or detached .nhdr) file."""
    with open(path, "rb") as f:
        header, _ = _read_header(f)
    return header


def read(path: PathLike) -> Tuple[np.ndarray, Dict[str, Any]]:
    """(array in C order, header) of a NRRD file; NrrdFormatError for what is not a NRRD file we can read."""
    path = Path(path)
    with open(path, "rb") as f:
        header, offset = _read_header(f)
        detached = header.get("data file", header.get("datafile"))
        if detached is None:
            f.seek(offset)
            payload = f.read()
    if detached is not None:
        payload = _detached_payload(path, str(detached))
    return _decode(header, payload), header


def _read_header(f: IO[bytes]) -> Tuple[Dict[str, Any], int]:
    magic = f.readline(80)  # "NRRD0005" and its newline; never a whole binary file read as one line
    text = magic.decode("ascii", "replace").rstrip()
    if not re.fullmatch(r"NRRD000[1-5]", text):
        if text.startswith("NRRD") and text[4:].isdigit():
            raise NrrdFormatError(f"NRRD format version {int(text[4:])} is newer than this reader knows (up to 5)")
        raise NrrdFormatError("no NRRD magic line (NRRD0001..NRRD0005) at the start; not a NRRD file")
    header: Dict[str, Any] = {}
    offset = len(magic)
    for raw in f:
        offset += len(raw)
        line = raw.decode("latin-1").rstrip("\r\n")
        if not line.strip():
            break  # the blank line that ends the header
        if line.startswith("#"):
            continue
        field, value = _split_line(line)
        if field in header:
            raise NrrdFormatError(f"header field {field!r} given twice")
        header[field] = value
    for required in ("type", "dimension", "sizes", "encoding"):
        if required not in header:
            raise NrrdFormatError(f"header has no {required!r} field")
    return header, offset


def _split_line(line: str) -> Tuple[str, Any]:
    """One header line: 'field: value' (a standard field, parsed) or 'key:=value' (kept as a string)."""
    pair, field = line.find(":="), line.find(": ")
    if pair >= 0 and (field < 0 or pair < field):
        return line[:pair].strip(), line[pair + 2:].strip()
    if field < 0:
        if line.rstrip().endswith(":"):  # a field with an empty value
            return line.rstrip()[:-1].strip(), ""
        raise NrrdFormatError(f"header line {line!r} is neither 'field: value' nor 'key:=value'")
    name, value = line[:field].strip(), line[field + 2:].strip()
    try:
        return name, _parse_value(name, value)
    except ValueError as e:
        raise NrrdFormatError(f"header field {name!r}: cannot read {value!r} ({e})") from None


def _parse_value(name: str, value: str) -> Any:
    kind = _FIELD_KINDS.get(name, "string")
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "int list":
        return np.array([int(v) for v in value.split()], dtype=int)
    if kind == "float list":
        return np.array([float(v) for v in value.split()], dtype=float)
    if kind == "string list":
        return value.split()
    if kind == "quoted list":
        return shlex.split(value)
    if kind == "vector":
        return None if value.lower() == "none" else _vector(value)
    if kind == "matrix":
        rows = re.findall(r"\([^)]*\)|none", value, flags=re.I)
        if not rows or re.sub(r"\([^)]*\)|none|\s", "", value, flags=re.I):
            raise ValueError("expected vectors such as (1,0,0) or none")
        vectors = [None if r.lower() == "none" else _vector(r) for r in rows]
        width = max((len(v) for v in vectors if v is not None), default=0)
        if any(v is not None and len(v) != width for v in vectors):
            raise ValueError("vectors of different lengths")
        return np.array([np.full(width, np.nan) if v is None else v for v in vectors], dtype=float)
    return value


def _vector(text: str) -> np.ndarray:
    text = text.strip()
    if not (text.startswith("(") and text.endswith(")")):
        raise ValueError(f"{text!r} is not a vector such as (1,0,0)")
    return np.array([float(v) for v in text[1:-1].split(",")], dtype=float)


def _dtype(header: Dict[str, Any]) -> np.dtype:
    name = str(header["type"]).strip().lower()
    if name == "block":
        raise NrrdFormatError("NRRD type 'block' (opaque data) is not supported")
    if name not in _TYPES:
        raise NrrdFormatError(f"unknown NRRD type {header['type']!r}")
    dtype = np.dtype(_TYPES[name])
    if dtype.itemsize > 1 and _encoding(header) not in _ASCII:
        endian = str(header.get("endian", "")).lower()
        if endian not in ("little", "big"):
            raise NrrdFormatError(f"type {header['type']!r} needs an 'endian' field (little or big)")
        dtype = dtype.newbyteorder("<" if endian == "little" else ">")
    return dtype


def _encoding(header: Dict[str, Any]) -> str:
    return str(header["encoding"]).strip().lower()


def _detached_payload(path: Path, spec: str) -> bytes:
    spec = spec.strip()
    if spec.upper().startswith("LIST") or len(spec.split()) > 1 or "%" in spec:
        raise NrrdFormatError(f"data file {spec!r}: data split over several files is not supported; "
                              f"save the image as a single .nrrd file")
    data_path = Path(spec)
    if not data_path.is_absolute():
        data_path = path.parent / data_path
    try:
        return data_path.read_bytes()
    except OSError as e:
        raise NrrdFormatError(f"data file {spec!r} cannot be read ({e.strerror or e})") from None


def _decode(header: Dict[str, Any], payload: bytes) -> np.ndarray:
    dtype = _dtype(header)
    sizes = [int(s) for s in np.atleast_1d(header["sizes"])]
    if int(header["dimension"]) != len(sizes):
        raise NrrdFormatError(f"dimension {header['dimension']} but {len(sizes)} sizes")
    if any(s < 1 for s in sizes):
        raise NrrdFormatError(f"sizes {sizes} must all be at least 1")
    count = int(np.prod(sizes, dtype=np.int64))
    encoding = _encoding(header)
    line_skip = int(header.get("line skip", header.get("lineskip", 0)))
    byte_skip = int(header.get("byte skip", header.get("byteskip", 0)))
    if line_skip < 0 or byte_skip < -1:
        raise NrrdFormatError(f"line skip {line_skip} / byte skip {byte_skip} out of range")
    for _ in range(line_skip):
        end = payload.find(b"\n")
        payload = b"" if end < 0 else payload[end + 1:]
    if encoding == "raw":
        data = payload
    elif encoding in _GZIP:
        try:
            data = zlib.decompressobj(zlib.MAX_WBITS | 32).decompress(payload)  # gzip or zlib stream
        except zlib.error as e:
            raise NrrdFormatError(f"gzip data cannot be decompressed ({e})") from None
    elif encoding in _BZIP2:
        try:
            data = bz2.decompress(payload)
        except (OSError, ValueError) as e:
            raise NrrdFormatError(f"bzip2 data cannot be decompressed ({e})") from None
    elif encoding in _ASCII:
        try:
            values = np.array(payload.decode("ascii").split(), dtype=float)
        except (UnicodeDecodeError, ValueError) as e:
            raise NrrdFormatError(f"ascii data is not a list of numbers ({e})") from None
        if values.size != count:
            raise NrrdFormatError(f"ascii data holds {values.size} values; sizes {sizes} need {count}")
        return values.astype(dtype).reshape(sizes[::-1])
    else:
        raise NrrdFormatError(f"encoding {header['encoding']!r} is not supported (raw, gzip, bzip2 or ascii)")
    nbytes = count * dtype.itemsize
    start = max(len(data) - nbytes, 0) if byte_skip == -1 else byte_skip
    if len(data) - start < nbytes:
        raise NrrdFormatError(f"data holds {max(len(data) - start, 0)} bytes; sizes {sizes} of {header['type']} "
                              f"need {nbytes}")
    array = np.frombuffer(data, dtype=dtype, count=count, offset=start).reshape(sizes[::-1])
    return array.astype(dtype.newbyteorder("="))  # a writable copy in native byte order


# ------------------------------------------------------------------------------------------------ writing

def header_bytes(array: np.ndarray, header: Dict[str, Any]) -> bytes:
    """The header (up to and including its closing blank line) for ``array`` in C order: ``type``,
    ``dimension``, ``sizes`` and ``endian`` come from the array; the other fields from ``header``."""
    array = np.asarray(array)
    code = array.dtype.str[1:]
    if code not in _TYPE_NAMES:
        raise ValueError(f"arrays of dtype {array.dtype} cannot be written to NRRD")
    fields = dict(header)
    fields["type"] = _TYPE_NAMES[code]
    encoding = str(fields.setdefault("encoding", "gzip")).lower()
    if array.dtype.itemsize > 1 and encoding not in _ASCII:
        fields["endian"] = "big" if array.dtype.str[0] == ">" else "little"
    else:
        fields.pop("endian", None)
    if "space" in fields:
        fields.pop("space dimension", None)
    fields["dimension"] = array.ndim
    fields["sizes"] = list(array.shape[::-1])
    fields.pop("data file", None)
    fields.pop("datafile", None)
    lines = ["NRRD0005", "# Complete NRRD file format specification at:",
             "# http://teem.sourceforge.net/nrrd/format.html"]
    for name in _WRITE_ORDER:
        if name in fields:
            lines.append(f"{name}: {_format_value(name, fields.pop(name))}")
    for key, value in fields.items():
        lines.append(f"{key}:={value}")
    return ("\n".join(lines) + "\n\n").encode("ascii")


def data_bytes(array: np.ndarray, encoding: str = "gzip", compression_level: int = 9) -> bytes:
    """The data of ``array`` (C order) as the header's ``encoding`` (raw or gzip) stores it."""
    raw = np.ascontiguousarray(array).tobytes(order="C")
    encoding = encoding.lower()
    if encoding == "raw":
        return raw
    if encoding in _GZIP:
        compressor = zlib.compressobj(compression_level, zlib.DEFLATED, zlib.MAX_WBITS | 16)
        return compressor.compress(raw) + compressor.flush()
    raise ValueError(f"encoding {encoding!r} cannot be written (raw or gzip)")


def write(target: Union[PathLike, IO[bytes]], array: np.ndarray, header: Optional[Dict[str, Any]] = None,
          compression_level: int = 9) -> None:
    """Write ``array`` (C order: [k, j, i] for 3D, the first file axis last) with ``header`` to a path or a binary
    file object. Raw or gzip (the default) encoding; ``compression_level`` 1 (fast) to 9 (pynrrd's, smallest)."""
    header = dict(header or {})
    head = header_bytes(array, header)
    body = data_bytes(array, str(header.get("encoding", "gzip")), compression_level)
    if isinstance(target, (str, Path)):
        with open(target, "wb") as f:
            f.write(head + body)
    else:
        target.write(head + body)


def _number(x: Any) -> str:
    return f"{x:.17g}" if isinstance(x, float) else str(x)


def _format_vector(values: Any) -> str:
    values = np.asarray(values)
    return "(" + ",".join(_number(v) for v in values) + ")"


def _format_value(name: str, value: Any) -> str:
    kind = _FIELD_KINDS.get(name, "string")
    if kind in ("int", "float"):
        return _number(value)
    if kind in ("int list", "float list"):
        return " ".join(_number(v) for v in np.asarray(value))
    if kind == "string list":
        return " ".join(str(v) for v in value)
    if kind == "quoted list":
        return " ".join(f'"{v}"' for v in value)
    if kind == "vector":
        if value is None or np.all(np.isnan(np.asarray(value, dtype=float))):
            return "none"
        return _format_vector(value)
    if kind == "matrix":
        rows = np.asarray(value, dtype=float)
        return " ".join("none" if np.all(np.isnan(r)) else _format_vector(r) for r in rows)
    return str(value)


def to_bytes(array: np.ndarray, header: Optional[Dict[str, Any]] = None, compression_level: int = 9) -> bytes:
    """The whole file ``write`` would write, as bytes."""
    buffer = io.BytesIO()
    write(buffer, array, header, compression_level)
    return buffer.getvalue()
