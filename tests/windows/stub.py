"""Test stand-in behind every program the bin/*.sh scripts run (docker, curl, python3, ...: symlinks to this file,
whose first line the tests point at their Python). The bash-side twin of stub.cmd, answering alike: records the
working folder and argv, then prints STUB_DIR/KEY.out (KEY.err on stderr) and exits with STUB_DIR/KEY.rc (else 0)."""

import json
import os
import sys
from pathlib import Path

stub = Path(os.environ["STUB_DIR"])
with open(stub / "calls.jsonl", "a") as log:
    log.write(json.dumps({"cwd": os.getcwd(), "argv": sys.argv}) + "\n")
program = {"python3": "python"}.get(Path(sys.argv[0]).name, Path(sys.argv[0]).name)
first, second, third = (sys.argv[1:] + ["", "", ""])[:3]
key = f"{program}-{first}"
if first in ("image", "network"):
    key = f"{program}-{first}-{second}"
elif first == "-m":
    key = f"{program}--m-{second}"
elif Path(first).suffix == ".py":
    key = f"{program}-{Path(first).stem}-{second}"
if key == "docker-image-rm" and not (stub / "images-stuck").exists():
    (stub / "docker-image-ls.out").unlink(missing_ok=True)
if key == "python--m-venv":
    (Path(third) / "bin").mkdir(parents=True)
    (Path(third) / "bin" / "python").symlink_to(os.path.realpath(sys.argv[0]))
if (stub / f"{key}.out").exists():
    sys.stdout.write((stub / f"{key}.out").read_text())
if (stub / f"{key}.err").exists():
    sys.stderr.write((stub / f"{key}.err").read_text())
sys.exit(int((stub / f"{key}.rc").read_text()) if (stub / f"{key}.rc").exists() else 0)
