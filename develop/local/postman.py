"""`bin/local.sh postman`: writes the request bodies of the Postman collections (postman/*.postman_collection.json)
from the sample payloads they send, so that no body is pasted by hand.

A request sends a sample when its description ends with a line `Body: \\`opt/ml/input/payload.json\\``: its body
becomes that file's text, or, for a file that is not text (a NumPy .npy), the file itself (Postman's "file" mode).
Nothing else of the collections changes.

    python -P -m develop.local.postman            rewrites the collections whose bodies differ, and names them
    python -P -m develop.local.postman --check    writes nothing; exit 1, naming each request that differs

Standard library only: it runs in .venv and in the :dev image's Python alike (without .venv:
`bin/shell.sh -c "PYTHONPATH=/opt/program /opt/venv/bin/python -P -m develop.local.postman"`).
"""

import argparse
import json
import os
import re
import sys
from pathlib import Path

SAMPLE = re.compile(r"^Body: `(opt/ml/input/[^`]+)`$", re.MULTILINE)


class PostmanError(ValueError):
    """A collection names a sample that is not there, or is not JSON; the message is one line."""


def requests_of(items: list) -> list[dict]:
    found = []
    for item in items:
        found += requests_of(item["item"]) if "item" in item else [item]
    return found


def body_of(project: Path, sample: str, body: dict) -> dict:
    """The body that sends `sample`: its text (line endings as LF), or the file itself when it is not text."""
    try:
        data = (project / sample).read_bytes()
    except FileNotFoundError:
        raise PostmanError(f"{sample}, which does not exist") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return {"mode": "file", "file": {"src": sample}}
    written = {key: value for key, value in body.items() if key not in ("file", "mode", "raw")}
    return {"mode": "raw", "raw": text.replace("\r\n", "\n"), **written}


def written(project: Path, collection: Path, missing_ok: bool = False) -> tuple[str, list[str]]:
    """(the collection's text with every sample body written, the names of the requests whose body changed).
    missing_ok: a request whose sample the project does not have (a content type the algorithm does not take) is left
    as it is, instead of refused."""
    shown = collection.relative_to(project).as_posix()
    try:
        document = json.loads(collection.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise PostmanError(f"{shown} is not JSON: {exc}") from None
    changed = []
    for request in requests_of(document.get("item", [])):
        samples = SAMPLE.findall(request["request"].get("description", ""))
        if not samples:
            continue
        if len(samples) > 1:
            raise PostmanError(f"{shown}: request {request['name']!r} names {len(samples)} bodies; give it one")
        old = request["request"].get("body", {})
        if missing_ok and not (project / samples[0]).is_file():
            continue
        try:
            new = body_of(project, samples[0], old)
        except PostmanError as exc:
            raise PostmanError(f"{shown}: request {request['name']!r} sends {exc}") from None
        if new != old:
            request["request"]["body"] = new
            changed.append(request["name"])
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n", changed


def collections(project: Path) -> list[Path]:
    return sorted((project / "postman").glob("*.postman_collection.json"))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bin/local.sh postman", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; fail when a body differs")
    args = parser.parse_args(argv)
    project = Path(os.environ.get("PROJECT_DIR") or Path(__file__).resolve().parents[2])
    differ = []
    try:
        for collection in collections(project):
            text, changed = written(project, collection)
            shown = collection.relative_to(project).as_posix()
            if not changed:
                continue
            differ += [f"{shown}: {name!r}" for name in changed]
            if not args.check:
                collection.write_text(text, encoding="utf-8")
                print(f"{shown}: wrote the body of {', '.join(repr(n) for n in changed)}", file=sys.stderr)
    except PostmanError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.check and differ:
        print(
            f"error: these bodies differ from their sample payloads (bin/local.sh postman writes them): "
            f"{'; '.join(differ)}",
            file=sys.stderr,
        )
        return 1
    if not differ:
        print("every body is its sample payload", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
