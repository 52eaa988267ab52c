"""sagemaker-state.json: what the commands created on AWS, so that `status` shows it and `destroy` deletes exactly it.

Kept out of git (.gitignore): it names this user's resources. Written after every creation, aside and renamed, so
that a command stopped at any point leaves a file that lists everything it made. Nothing secret is ever in it.
"""

import datetime
import json
import os
import tempfile
from pathlib import Path

from develop.local.entrypoint import give_back_to_owner  # what root writes in the :dev container stays the user's

from .config import ConfigError

FILE_NAME = "sagemaker-state.json"
# The kinds of entry, in the order destroy deletes them (what uses a thing goes before it).
KINDS = (
    "transform-job",
    "processing-job",
    "training-job",
    "endpoint",
    "endpoint-config",
    "model",
    "s3-prefix",
    "s3-object",
)


class State:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.entries: list[dict] = []
        if self.path.exists():
            try:
                self.entries = json.loads(self.path.read_text())["resources"]
            except (ValueError, KeyError, TypeError):
                raise ConfigError(f"{self.path} is not a state file of bin/sagemaker.sh: move it away") from None

    @classmethod
    def of(cls, project: Path) -> "State":
        return cls(Path(project) / FILE_NAME)

    def add(self, kind: str, name: str, region: str, **details) -> dict:
        assert kind in KINDS, kind
        self.entries = [e for e in self.entries if (e["kind"], e["name"]) != (kind, name)]
        created = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        entry = {"kind": kind, "name": name, "region": region, "created": created, **details}
        self.entries.append(entry)
        self._save()
        return entry

    def update(self, kind: str, name: str, **details) -> None:
        for entry in self.entries:
            if (entry["kind"], entry["name"]) == (kind, name):
                entry.update(details)
        self._save()

    def remove(self, kind: str, name: str) -> None:
        self.entries = [e for e in self.entries if (e["kind"], e["name"]) != (kind, name)]
        self._save()

    def find(self, kind: str, **match) -> list[dict]:
        """The entries of a kind (oldest first) whose details equal `match`."""
        return [e for e in self.entries if e["kind"] == kind and all(e.get(k) == v for k, v in match.items())]

    def latest(self, kind: str, **match) -> dict | None:
        found = self.find(kind, **match)
        return found[-1] if found else None

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(dir=self.path.parent, prefix=f".{FILE_NAME}.")
        try:
            with os.fdopen(fd, "w") as out:
                json.dump({"resources": self.entries}, out, indent=2)
                out.write("\n")
            os.replace(partial, self.path)
            give_back_to_owner(0, self.path, owner_of=self.path.parent)
        except BaseException:
            os.unlink(partial)
            raise
