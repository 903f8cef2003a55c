"""Function code on disk: uploaded zips unpacked into folders named by their hash, and
snapshots of folders for published versions, so that a version's code never changes."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import stat
from pathlib import Path

from ..errors import InvalidParameterValueException, RequestEntityTooLargeException
from ..model.registry import Code

ZIPPED_LIMIT = 52_428_800
UNZIPPED_LIMIT = 262_144_000
_SKIP = shutil.ignore_patterns("__pycache__", ".lambdahost", ".aws-sam", ".git")


def hash_zip(data: bytes) -> Code:
    return Code(base64.b64encode(hashlib.sha256(data).digest()).decode(), len(data))


def hash_folder(folder: Path) -> Code:
    """A stable hash of a folder's files (names and contents), in CodeSha256's form."""
    digest = hashlib.sha256()
    size = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not _skipped(p.relative_to(folder))):
        data = path.read_bytes()
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + len(data).to_bytes(8, "big"))
        digest.update(data)
        size += len(data)
    return Code(base64.b64encode(digest.digest()).decode(), size)


def _skipped(relative: Path) -> bool:
    return any(part in ("__pycache__", ".lambdahost", ".aws-sam", ".git") for part in relative.parts)


def unpack_zip(folder: Path, data: bytes) -> tuple[Path, Code]:
    """Unpack a zip into ``folder`` (if it is not there yet) through a staging folder, so that a
    folder that exists is whole; refuses a zip over Lambda's limits or with an entry outside its root."""
    if len(data) > ZIPPED_LIMIT:
        raise RequestEntityTooLargeException(f"Zipped size must be smaller than {ZIPPED_LIMIT} bytes")
    code = hash_zip(data)
    if folder.is_dir():
        return folder, code
    import zipfile  # only uploads need it: not imported by every command's start

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError):
        raise InvalidParameterValueException(
            "Could not unzip uploaded file. Please check your file, then try to upload again."
        ) from None
    if sum(member.file_size for member in members) >= UNZIPPED_LIMIT:
        raise InvalidParameterValueException(f"Unzipped size must be smaller than {UNZIPPED_LIMIT} bytes")
    staging = folder.with_name(folder.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        for member in members:
            target = (staging / member.filename).resolve()
            if not target.is_relative_to(staging.resolve()):
                raise InvalidParameterValueException(f"The zip file has an entry outside its root: {member.filename}")
            archive.extract(member, staging)
            mode = member.external_attr >> 16
            if mode and not member.is_dir():
                os.chmod(target, stat.S_IMODE(mode) | stat.S_IRUSR)  # keep a bootstrap executable
    except (OSError, zipfile.BadZipFile, EOFError, ValueError) as exc:
        # an entry that cannot be where it says (a file and a folder of one name), or whose
        # content is not what its header says: nothing is kept of it
        shutil.rmtree(staging, ignore_errors=True)
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InvalidParameterValueException(
            "Could not unzip uploaded file. Please check your file, then try to upload again. "
            f"(entry {member.filename}: {why})"
        ) from None
    except InvalidParameterValueException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _archive_of(folder).write_bytes(data)  # what a Location gives back, byte for byte (its CodeSha256)
    staging.rename(folder)
    return folder, code


def _archive_of(folder: Path) -> Path:
    return folder.with_name(folder.name + ".zip")


def archive(folder: Path) -> bytes:
    """The zip a Code or Content ``Location`` downloads: the uploaded one, or the folder zipped."""
    uploaded = _archive_of(folder)
    if uploaded.is_file():
        return uploaded.read_bytes()
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not _skipped(path.relative_to(folder)):
                zipped.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


class CodeStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def unpack(self, function_name: str, data: bytes) -> tuple[Path, Code]:
        """Unpack an uploaded zip (Code.ZipFile); the same zip twice lands in the same folder."""
        return unpack_zip(self.root / function_name / hashlib.sha256(data).hexdigest()[:32], data)

    def unpack_layer(self, layer_name: str, number: int, data: bytes) -> tuple[Path, Code]:
        """Unpack a layer version's zip (Content.ZipFile). Function names cannot start with a dot,
        so ``.layers`` is nobody's code folder."""
        folder = self.root / ".layers" / layer_name / str(number)
        shutil.rmtree(folder, ignore_errors=True)  # left by a publish that never finished: not this zip
        _archive_of(folder).unlink(missing_ok=True)
        return unpack_zip(folder, data)

    def snapshot(self, function_name: str, version: str, source: Path) -> Path:
        """Copy a folder for a published version (a template function's code keeps changing)."""
        folder = self.root / function_name / f"version-{version}"
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(source, folder, ignore=_SKIP, symlinks=True)
        return folder

    def remove(self, function_name: str) -> None:
        shutil.rmtree(self.root / function_name, ignore_errors=True)
