"""Which models a multi-model server has loaded, shared by all its worker processes through one folder.

SageMaker sends `POST /models` to whichever worker accepts the connection and `POST /models/<name>/invoke` to any
other, so the list of loaded models cannot live in one worker's memory. Each model is one small JSON file in a folder
the gunicorn master makes before it forks the workers. Every change (claim, publish, unload) happens under an
exclusive lock on that folder (flock, held for microseconds), and each file is replaced whole, so readers need no lock.
The registry holds names, urls and where the model's files are; each worker keeps its own copy of the model itself
(routes.py).
"""

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path

LOADING, LOADED = "loading", "loaded"


@dataclass(frozen=True)
class Entry:
    name: str
    url: str
    state: str  # LOADING while one worker loads it, LOADED once every worker may serve it
    id: str  # new for every load: a model unloaded and loaded again is a different model to every worker
    pid: int  # the worker that loads it: a load whose worker died is forgotten
    model_dir: str = ""  # the folder initialize() reads
    unpacked: bool = False  # model_dir was unpacked from an archive by the server, and is removed with the model


class Registry:
    def __init__(self, folder: Path):
        self.folder = folder

    @classmethod
    def create(cls) -> "Registry":
        return cls(Path(tempfile.mkdtemp(prefix="sagemaker-models-")))

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def get(self, name: str) -> Entry | None:
        try:
            entry = Entry(**json.loads(self._path(name).read_text()))
        except FileNotFoundError:
            return None
        if entry.state == LOADING and not _alive(entry.pid):
            return None
        return entry

    def loaded(self) -> list[Entry]:
        entries = []
        for path in self.folder.glob("*.json"):
            try:
                entry = Entry(**json.loads(path.read_text()))
            except FileNotFoundError:  # unloaded since the folder was listed
                continue
            if entry.state == LOADED:
                entries.append(entry)
        return sorted(entries, key=lambda e: e.name)

    def claim(self, name: str, url: str) -> Entry | None:
        """Mark `name` as being loaded by this process; None when it is already loaded or being loaded."""
        with self._locked():
            if self.get(name) is not None:
                return None
            entry = Entry(name=name, url=url, state=LOADING, id=uuid.uuid4().hex, pid=os.getpid())
            self._write(entry)
            return entry

    def publish(self, claimed: Entry, model_dir: Path, unpacked: bool) -> Entry | None:
        """Make a claimed model visible to every worker; None when it was unloaded while it loaded."""
        with self._locked():
            current = self.get(claimed.name)
            if current is None or current.id != claimed.id:
                return None
            entry = replace(claimed, state=LOADED, model_dir=str(model_dir), unpacked=unpacked)
            self._write(entry)
            return entry

    def forget(self, claimed: Entry) -> None:
        """Drop a claim whose load failed (and only that claim, not a later load of the same name)."""
        with self._locked():
            current = self.get(claimed.name)
            if current is not None and current.id == claimed.id:
                self._path(claimed.name).unlink()

    def unload(self, name: str) -> Entry | None:
        with self._locked():
            entry = self.get(name)
            if entry is not None:
                self._path(name).unlink()
            return entry

    def scratch(self, entry: Entry) -> Path:
        """A folder of the registry's own for this load of the model (where an archive is unpacked)."""
        return self.folder / "unpacked" / entry.id

    def _path(self, name: str) -> Path:
        # Model names are opaque to the container: hashed, any name makes a valid file name.
        return self.folder / (hashlib.sha256(name.encode()).hexdigest() + ".json")

    def _write(self, entry: Entry) -> None:
        partial = self.folder / f".{entry.id}.partial"
        partial.write_text(json.dumps(asdict(entry)))
        os.replace(partial, self._path(entry.name))

    @contextmanager
    def _locked(self) -> Iterator[None]:
        fd = os.open(self.folder / ".lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
