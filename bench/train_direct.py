"""Calls a project's algorithm.train directly, without main.py: the baseline for `main.py train`'s wall time.

usage: python train_direct.py PROJECT_FOLDER   (reads PROJECT/opt/ml, writes its model into a scratch folder)
Prints the hook's own seconds. The caller times the whole process, so both include the interpreter's start and the
imports; what main.py adds is the difference.
"""

import json
import sys
import tempfile
import time
from pathlib import Path

project = Path(sys.argv[1]).resolve()
sys.path.insert(0, str(project))

import algorithm  # noqa: E402  (the project's, found through sys.path above)
from framework import TrainingJob  # noqa: E402
from framework.training import metrics  # noqa: E402

ml = project / "opt" / "ml"
raw = json.loads((ml / "input" / "config" / "hyperparameters.json").read_text())
# The sample's values converted by hand (int when it looks like one), as a script without the framework would.
values = {k: int(v) if str(v).lstrip("-").isdigit() else v for k, v in raw.items()}
with tempfile.TemporaryDirectory() as scratch:
    out = Path(scratch)
    job = TrainingJob(
        hyperparameters=algorithm.Hyperparameters(**values),
        channels={"training": ml / "input" / "data" / "training", "validation": ml / "input" / "data" / "validation"},
        model_dir=out,
        output_data_dir=out,
        checkpoint_dir=out,
        metrics=metrics.declared(algorithm),  # the metrics train reports must be declared, as main.py checks
    )
    start = time.perf_counter()
    algorithm.train(job)
    print(json.dumps({"hook_s": time.perf_counter() - start}))
