"""`bin/example.sh [NAME] [--force]`: switch the project to one of the examples under examples/, or list them.

An example is a folder that mirrors the project root: its algorithm.py, lib/ (when it has one), opt/ml/input,
opt/ml/processing/input (when it has a processing job) and transform/input. Switching copies those over the root's.
The root's are replaced only when they are one example's, file for file (the :dev image has no git, so the content
decides): anything else is the user's work, and the switch refuses, naming the files that differ, unless --force,
which sets that work aside first. The last example's model, output and checkpoints, transform/output, and the
resourceconfig.json and inputdataconfig.json that bin/train.sh writes when missing, are not the new one's: they are
set aside too, never deleted, in set-aside/<time>-<what it was>/ (git ignores it). .gitkeep files stay where they
are; lib/README.md and tests/algorithm/README.md are the template's notes, not an example's. An example's
tests/algorithm/ holds its own unit tests.

A development tool, not part of the image SageMaker runs: bin/example.sh runs it in the :dev image,
`bin/local.sh example` in .venv, with the project on PYTHONPATH.
"""

import argparse
import shutil
import sys
import time
from pathlib import Path

from develop.local import postman
from develop.local.entrypoint import give_back_to_owner  # the stand-in's helper

PROJECT = Path(__file__).resolve().parents[2]
EXAMPLES = "examples"
# What an example is made of, as paths under the project root (and under examples/<name>/).
PARTS = (
    Path("algorithm.py"),
    Path("lib"),
    Path("opt", "ml", "input"),
    Path("opt", "ml", "processing", "input"),
    Path("transform", "input"),
    Path("tests", "algorithm"),  # the algorithm's own unit tests: an example's are of its own algorithm
)
# What running an example writes: not the next example's.
OUTPUTS = (
    Path("opt", "ml", "model"),
    Path("opt", "ml", "output"),
    Path("opt", "ml", "checkpoints"),
    Path("transform", "output"),
)
# What bin/train.sh writes into input/config when missing, as SageMaker provides it (develop/local/entrypoint.py): not
# an example's, and it describes the last example's channels, so it is set aside with the outputs.
PLATFORM_CONFIG = (Path("opt/ml/input/config/resourceconfig.json"), Path("opt/ml/input/config/inputdataconfig.json"))
KEPT = (".gitkeep",)
TEMPLATE_NOTES = (Path("lib", "README.md"), Path("tests", "algorithm", "README.md"))  # the template's, not an example's
SET_ASIDE = "set-aside"


class SwitchError(Exception):
    """A switch that cannot go on: one line, printed as `error: ...`."""


def example_files(base: Path) -> dict[Path, Path]:
    """The example's files under `base` (the root or an example's folder): relative path -> path."""
    found = {}
    for part in PARTS:
        top = base / part
        paths = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file()) if top.is_dir() else []
        for path in paths:
            relative = path.relative_to(base)
            if path.name in KEPT or relative in (*TEMPLATE_NOTES, *PLATFORM_CONFIG) or "__pycache__" in relative.parts:
                continue
            found[relative] = path
    return found


def differing(mine: dict[Path, Path], theirs: dict[Path, Path]) -> list[Path]:
    """The files that are not the same in both: sizes first, so a large data set is read only when it may match."""
    names = set(mine) ^ set(theirs)
    shared = sorted(set(mine) & set(theirs))
    names |= {p for p in shared if mine[p].stat().st_size != theirs[p].stat().st_size}
    if not names:
        names = {p for p in shared if mine[p].read_bytes() != theirs[p].read_bytes()}
    return sorted(names)


def examples(project: Path) -> dict[str, str]:
    """name -> its one-line description, the title of its README.md."""
    found = {}
    for folder in sorted((project / EXAMPLES).iterdir()) if (project / EXAMPLES).is_dir() else []:
        if (folder / "algorithm.py").is_file():
            readme = folder / "README.md"
            title = readme.read_text().splitlines()[0] if readme.is_file() else ""
            found[folder.name] = title.lstrip("# ").removeprefix(f"{folder.name}:").strip()
    return found


def in_place(project: Path, names) -> tuple[str | None, list[Path]]:
    """The example the root holds, or None and the files that differ from the closest one."""
    root = example_files(project)
    closest: list[Path] | None = None
    for name in names:
        different = differing(root, example_files(project / EXAMPLES / name))
        if not different:
            return name, []
        if closest is None or len(different) < len(closest):
            closest = different
    return None, closest or sorted(root)


def listed(paths: list[Path], most: int = 5) -> str:
    shown = ", ".join(p.as_posix() for p in paths[:most])
    return shown + (f" and {len(paths) - most} more" if len(paths) > most else "")


def set_aside(project: Path, paths, folder: Path) -> list[Path]:
    """Move `paths` (relative to the project) into `folder`, keeping their place; returns what moved."""
    moved = []
    for relative in paths:
        source = project / relative
        entries = [source] if source.is_file() else sorted(source.iterdir()) if source.is_dir() else []
        for entry in entries:
            if entry.name in KEPT:
                continue
            target = folder / entry.relative_to(project)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(entry, target)
            moved.append(entry.relative_to(project))
    return moved


def prune(project: Path) -> None:
    """Remove the folders the last example's files leave empty (not the parts' own folders)."""
    tops = {project / part for part in PARTS}
    for part in PARTS:
        top = project / part
        if top.is_dir():
            for folder in sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
                if folder not in tops and not any(folder.iterdir()):
                    folder.rmdir()


def switch(project: Path, name: str, force: bool) -> str:
    known = examples(project)
    if name not in known:
        raise SwitchError(f"no example {name!r} in {EXAMPLES}/: the examples are {', '.join(known) or 'none'}")
    current, different = in_place(project, known)
    if current == name:
        return f"the project already holds the example {name}: nothing to do"
    if current is None and not force:
        raise SwitchError(
            f"the project's algorithm is not one of the examples ({listed(different)} differ): commit or copy your "
            f"work, or pass --force to set it aside in {SET_ASIDE}/"
        )
    since = time.time()
    stamp = f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{current or 'your-work'}"
    # A new folder each time: two switches in one second must not move a file over the one set aside before.
    aside = next(
        folder
        for n in range(1, 1000)
        if not (folder := project / SET_ASIDE / (stamp if n == 1 else f"{stamp}-{n}")).exists()
    )
    moved = set_aside(project, (*OUTPUTS, *PLATFORM_CONFIG), aside)
    root = example_files(project)
    if current is None:  # the user's own files, with --force: set aside, never lost
        moved += set_aside(project, sorted(root), aside)
    else:  # the same bytes are in examples/<current>
        for path in root.values():
            path.unlink()
    prune(project)
    for relative, source in example_files(project / EXAMPLES / name).items():
        target = project / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    bodies = write_postman_bodies(project)
    # Run as root in the :dev image: the files go back to the owner of the project, who edits them next.
    for part in (*PARTS, Path(SET_ASIDE)):
        if (project / part).exists():
            give_back_to_owner(since, top=project / part, owner_of=project)
    said = f"the project now holds the example {name} ({EXAMPLES}/{name}/README.md says what it shows)"
    if bodies:
        said += f"; the Postman requests that send its payloads now send them ({listed(bodies)})"
    if moved:
        said += f"; set aside in {aside.relative_to(project).as_posix()}/: {listed(sorted(moved))}"
    return said


def write_postman_bodies(project: Path) -> list[Path]:
    """bin/local.sh postman for the new example: the requests whose sample payload it has send it; the others (a
    content type it does not take) are left for the user to adapt. Returns the collections written."""
    written = []
    for collection in postman.collections(project):
        try:
            text, changed = postman.written(project, collection, missing_ok=True)
        except postman.PostmanError:  # a collection of the user's making: bin/local.sh postman says what is wrong
            continue
        if changed:
            collection.write_text(text, encoding="utf-8")
            written.append(collection.relative_to(project))
    return written


def listing(project: Path) -> str:
    known = examples(project)
    if not known:
        raise SwitchError(f"no examples in {project / EXAMPLES}")
    current, _ = in_place(project, known)
    width = max(len(name) for name in known)
    lines = [f"  {name:<{width}}  {text}{'  (in place)' if name == current else ''}" for name, text in known.items()]
    where = f"the project holds the example {current}" if current else "the project holds an algorithm of its own"
    return "\n".join(["examples (bin/example.sh NAME switches the project to one):", *lines, where])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="bin/example.sh", description="Switch the project to an example, or list them (no NAME)."
    )
    parser.add_argument("name", nargs="?", metavar="NAME", help="the example's folder under examples/")
    parser.add_argument(
        "--force", action="store_true", help="when the project holds work of its own: set it aside and switch"
    )
    args = parser.parse_args(argv)
    try:
        print(switch(PROJECT, args.name, args.force) if args.name else listing(PROJECT))
    except (SwitchError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
