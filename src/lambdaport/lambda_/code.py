"""Function code: zip packages stored by content, extracted safely; hot-reload directories.

An uploaded package is kept as ``code/<sha256-hex>.zip`` and extracted once into
``code/<sha256-hex>/``. Extraction refuses entries that would land outside that directory
(absolute paths, ``..``) and symbolic links whose target escapes it. The permission bits of
each file are kept, so a custom runtime's ``bootstrap`` stays executable; setuid, setgid and
sticky bits are dropped, so no package can install a program that runs as its extractor.

Hot reload: ``Code={"S3Bucket": "hot-reload", "S3Key": "/absolute/path"}`` runs the function
straight from a local directory; edits there are picked up on the next cold start (lambdaport
retires warm environments when the directory changes, ``hot_reload.py``). The directory is
watched whole, symbolic links followed, so ``/`` and trees of more than
``HOT_RELOAD_FILE_LIMIT`` files and directories are refused: a function's code is far smaller
(AWS unpacks at most 250 MB), and a watch of a home directory or a disk would cost the machine
a kernel watch per directory and tell the function about every write anywhere in it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import os
import shutil
import stat
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from lambdaport.errors import AwsError, invalid_parameter
from lambdaport.lambda_.models import Code
from lambdaport.services.interfaces import ObjectStore

HOT_RELOAD_BUCKET = "hot-reload"
ZIP_UPLOAD_LIMIT = 50 * 1024 * 1024  # direct upload, zipped
UNZIPPED_LIMIT = 262_144_000  # 250 MB
HOT_RELOAD_FILE_LIMIT = 50_000  # files and directories below a hot-reload directory


def _bad_zip() -> AwsError:
    return invalid_parameter(
        "Could not unzip uploaded file. Please check your file, then try to upload again."
    )


async def package_from_s3(
    objects: ObjectStore, bucket: str, key: str | None, version: str | None
) -> bytes:
    """The package at S3Bucket/S3Key[/S3ObjectVersion], refused as Lambda refuses it."""
    if not key:
        raise invalid_parameter("S3Key is required when S3Bucket is given.")
    try:
        return await objects.get_object_bytes(bucket, key, version)
    except AwsError as error:
        raise invalid_parameter(
            f"Error occurred while GetObject. S3 Error Code: {error.code}. S3 Error Message: "
            f"{error.message}"
        ) from None


class CodeStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def zip_path(self, code: Code) -> Path:
        return self.root / f"{code.zip_hex}.zip"

    def code_dir(self, code: Code) -> Path:
        if code.hot_reload_dir:
            return Path(code.hot_reload_dir)
        return self.root / code.zip_hex

    def save_zip(self, data: bytes) -> Code:
        if len(data) > ZIP_UPLOAD_LIMIT:
            raise AwsError(
                "RequestEntityTooLargeException",
                f"Zipped size must be smaller than {ZIP_UPLOAD_LIMIT} bytes",
                413,
                fields={"Type": "User"},
            )
        digest = hashlib.sha256(data)
        code = Code(
            sha256=base64.b64encode(digest.digest()).decode(),
            size=len(data),
            zip_hex=digest.hexdigest(),
            unzipped_size=_unzipped_size(data),
        )
        target = self.code_dir(code)
        if not target.is_dir():
            self._extract(data, target)
            self.zip_path(code).write_bytes(data)
        return code

    def merged_layers(self, layers: Sequence[Code]) -> Path:
        """The layers' files merged in order, as Lambda extracts them into ``/opt``: a file
        of a later layer replaces the same path of an earlier one. Kept under
        ``code/layers/<sha256 of the packages' digests>/`` (made once, by hard links to the
        extracted packages, copies where links cannot be made); the packages are extracted
        already (``save_zip``)."""
        digest = hashlib.sha256("\n".join(code.zip_hex for code in layers).encode()).hexdigest()
        target = self.root / "layers" / digest
        if target.is_dir():
            return target
        with _staged(target) as staging:
            for code in layers:
                _merge_tree(self.code_dir(code), staging)
        return target

    def hot_reload(self, directory: str) -> Code:
        path = Path(directory)
        if not path.is_absolute() or not path.is_dir():
            raise invalid_parameter(
                f"Hot reload needs an absolute path of an existing directory as S3Key: {directory}"
            )
        resolved = path.resolve()
        if resolved == Path(resolved.anchor):
            raise invalid_parameter(
                f"Hot reload cannot watch the root directory {resolved}: give the directory of "
                "the function's code as S3Key."
            )
        if _count_entries(resolved, HOT_RELOAD_FILE_LIMIT) > HOT_RELOAD_FILE_LIMIT:
            raise invalid_parameter(
                f"Hot reload watches at most {HOT_RELOAD_FILE_LIMIT} files and directories, and "
                f"{directory} has more: give the directory of the function's code as S3Key."
            )
        digest = hashlib.sha256(str(path).encode()).digest()
        return Code(sha256=base64.b64encode(digest).decode(), size=0, hot_reload_dir=str(resolved))

    def _extract(self, data: bytes, target: Path) -> None:
        with _staged(target) as staging:
            try:
                archive = zipfile.ZipFile(io.BytesIO(data))
            except (zipfile.BadZipFile, ValueError):
                raise _bad_zip() from None
            with archive:
                _check_sizes(archive)
                for info in archive.infolist():
                    _extract_member(archive, info, staging)


@contextlib.contextmanager
def _staged(target: Path) -> Iterator[Path]:
    """A staging directory of its own (two threads may make the same directory at once),
    renamed to ``target`` when the block succeeds; removed either way."""
    staging = target.with_name(f"{target.name}.tmp{os.getpid()}-{uuid.uuid4().hex}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        yield staging
        try:
            staging.rename(target)
        except OSError:
            if not target.is_dir():  # not another thread making the same directory winning
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _count_entries(root: Path, limit: int) -> int:
    """Files and directories below ``root`` (symbolic links followed, as the watch follows
    them, each directory once); counting stops once past ``limit``."""
    count = 0
    seen: set[tuple[int, int]] = set()
    pending = [str(root)]
    while pending:
        directory = pending.pop()
        try:
            info = os.stat(directory)
            if (info.st_dev, info.st_ino) in seen:
                continue
            seen.add((info.st_dev, info.st_ino))
            with os.scandir(directory) as entries:
                for entry in entries:
                    count += 1
                    if count > limit:
                        return count
                    if entry.is_dir():
                        pending.append(entry.path)
        except OSError:  # unreadable, or gone meanwhile: not watched either
            continue
    return count


def _unzipped_size(data: bytes) -> int:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise _bad_zip() from None


def _merge_tree(source: Path, target: Path) -> None:
    """Place every entry of ``source`` at the same path below ``target``, replacing what
    is there (a directory meeting a file or link replaces it too, as extraction would)."""
    for directory, subdirectories, files in os.walk(source):
        relative = Path(directory).relative_to(source)
        into = target / relative
        for name in subdirectories:
            here = Path(directory) / name
            there = into / name
            if here.is_symlink():
                _replace(there)
                os.symlink(os.readlink(here), there)
            else:
                if there.is_symlink() or (there.exists() and not there.is_dir()):
                    _replace(there)
                there.mkdir(exist_ok=True)
        for name in files:
            here = Path(directory) / name
            there = into / name
            _replace(there)
            if here.is_symlink():
                os.symlink(os.readlink(here), there)
                continue
            try:
                os.link(here, there)
            except OSError:
                shutil.copy2(here, there)


def _replace(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def _check_sizes(archive: zipfile.ZipFile) -> None:
    total = sum(info.file_size for info in archive.infolist())
    if total > UNZIPPED_LIMIT:
        raise invalid_parameter(f"Unzipped size must be smaller than {UNZIPPED_LIMIT} bytes")


def _inside(root: Path, candidate: Path) -> bool:
    try:
        candidate.relative_to(root)
    except ValueError:
        return False
    return True


def _extract_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, root: Path) -> None:
    name = info.filename.replace("\\", "/")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if name.startswith("/") or ".." in parts:
        raise invalid_parameter(
            f"Could not unzip uploaded file: the entry {info.filename!r} points outside the "
            "code directory."
        )
    if not parts:
        return
    destination = root.joinpath(*parts)
    mode = (info.external_attr >> 16) & 0xFFFF
    if info.is_dir():
        destination.mkdir(parents=True, exist_ok=True)
        return
    destination.parent.mkdir(parents=True, exist_ok=True)
    if stat.S_ISLNK(mode):
        link_target = archive.read(info).decode()
        resolved = (destination.parent / link_target).resolve()
        if os.path.isabs(link_target) or not _inside(root.resolve(), resolved):
            raise invalid_parameter(
                f"Could not unzip uploaded file: the link {info.filename!r} points outside the "
                "code directory."
            )
        os.symlink(link_target, destination)
        return
    try:
        with archive.open(info) as source, destination.open("wb") as sink:
            shutil.copyfileobj(source, sink, 1024 * 1024)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError):
        raise _bad_zip() from None
    permissions = stat.S_IMODE(mode) & 0o777  # never setuid, setgid or sticky
    destination.chmod(permissions | 0o444 if permissions else 0o644)
