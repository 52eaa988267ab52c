"""docs/make-it-yours.md's skeleton algorithm.py is a real algorithm: taken from the page as it is, over a small
project of numbers, it passes the contract suite (tests/contract/), as the tutorial says it will."""

import json
import re

from test_contract_sabotage import contract, write_regressor

from projects import ROOT

TUTORIAL = ROOT / "docs" / "make-it-yours.md"


def skeleton() -> str:
    """The page's one Python block under the heading of step 4."""
    step = TUTORIAL.read_text().split("## 4. Write `algorithm.py`", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", step, flags=re.S)
    return code


def test_the_tutorials_skeleton_passes_the_contract_suite(tmp_path):
    project = write_regressor(tmp_path / "project")
    (project / "algorithm.py").write_text(skeleton())
    ml_input = project / "opt/ml/input"
    (ml_input / "config/hyperparameters.json").write_text(json.dumps({"target": "y", "alpha": "0.001"}))
    smoke = json.loads((ml_input / "smoke-tests.json").read_text())
    smoke["tolerance"] = {"absolute": 0.01, "relative": 0.001}  # a ridge penalty, however small, moves the fit
    (ml_input / "smoke-tests.json").write_text(json.dumps(smoke))
    done = contract(project)
    assert done.returncode == 0, done.stdout[-3000:]
    summary = done.stdout.strip().splitlines()[-1]
    assert "passed" in summary and "failed" not in summary, summary
