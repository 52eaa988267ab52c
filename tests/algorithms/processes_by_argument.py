"""A process(job) whose first argument says what to do, to check what the framework hands it and how it ends."""

import json
import os
import shutil
import time

from framework import ProcessingJob


def process(job: ProcessingJob) -> None:
    action = job.arguments[0] if job.arguments else "report"
    if action == "report":
        for name, folder in job.inputs.items():
            for file in sorted(p for p in folder.rglob("*") if p.is_file()):
                shutil.copy(file, job.outputs["copies"] / f"{name}-{file.name}")
        facts = {
            "arguments": job.arguments,
            "inputs": {name: str(folder) for name, folder in job.inputs.items()},
            "outputs": {name: str(folder) for name, folder in job.outputs.items()},
            "environment": job.environment,
            "variable": os.environ.get("PROCESS_VARIABLE"),
            "job_name": job.job_name,
            "hosts": job.hosts,
            "current_host": job.current_host,
            "is_leader": job.is_leader,
        }
        (job.outputs["report"] / "report.json").write_text(json.dumps(facts))
        job.write_exit_message(f"copied {len(job.inputs)} input(s)")
    elif action == "fail":
        raise RuntimeError(f"the data in {sorted(job.inputs)} is not usable")
    elif action == "needs":
        print(job.inputs[job.arguments[1]])
    elif action == "dask":
        # Every host says who it is; only the leader gets into the block, and runs tasks on every host's worker.
        facts = {"hosts": job.hosts, "is_leader": job.is_leader, "leader": job.leader}
        (job.outputs["report"] / f"host-{job.current_host}.json").write_text(json.dumps(facts))
        with job.dask() as client:
            workers = client.scheduler_info()["workers"]
            squares = client.gather(client.map(_square, range(20)))
            ran = {w["name"] for w in workers.values()}
            (job.outputs["report"] / "dask.json").write_text(json.dumps({"sum": sum(squares), "workers": sorted(ran)}))
    elif action == "sleep":
        marker = job.outputs["report"]
        (marker / "started").write_text("")
        try:
            time.sleep(60)
        finally:
            (marker / "cleaned-up").write_text("")


def _square(number):
    return number * number
