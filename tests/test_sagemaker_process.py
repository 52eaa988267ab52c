"""`bin/sagemaker.sh process` (develop/sagemaker/process.py): a processing job against moto's server, which serves
CreateProcessingJob, DescribeProcessingJob and StopProcessingJob (its job completes at once and writes nothing: the
driver writes the outputs process(job) would, PROCESSING_OUTPUTS); a failing job and Ctrl-C with botocore's Stubber.
Every SageMaker request is validated against botocore's model, as in tests/test_sagemaker.py."""

import json

import pytest
from test_sagemaker import (
    BUCKET,
    IMAGE,
    botocore_errors,
    copy_project,
    error_line,
    ok,
    on_moto,
    pytestmark,  # noqa: F401 (skipped as test_sagemaker.py is, without the AWS tools' venv)
    requests_of,
    state,
    stubbed,
)
from test_sagemaker_production import GROUP, KEY, PRODUCTION, SUBNETS, VPC

LOGS = {"algo-1-1700000000": ["read 150 raw records", "120 training and 30 validation records"]}
OUTPUTS = {"training": {"iris.csv": "sepal_length,species\n5.1,setosa\n"}, "validation": {"iris.csv": "x\n"}}


@pytest.fixture
def project(tmp_path):
    return copy_project(tmp_path)


def test_process_uploads_the_inputs_runs_the_job_downloads_the_outputs_and_is_destroyed(project, tmp_path):
    for name in ("evaluation", "training", "validation"):  # a clone's, kept by .gitkeep (copy_project leaves them)
        (project / "opt/ml/processing/output" / name).mkdir(parents=True, exist_ok=True)
    results, sent, _ = on_moto(
        project,
        ["process", "--image", IMAGE, "preprocess", "--seed", "1"],
        ["status"],
        ["destroy", "--yes"],
        LOG_LINES=json.dumps(LOGS),
        PROCESSING_OUTPUTS=json.dumps(OUTPUTS),
    )
    process, status, destroy = results
    job = requests_of(sent, "CreateProcessingJob")[0]
    name = job["ProcessingJobName"]
    # the arguments after `process`, the image given, the folders holding files as inputs, every output folder
    assert job["AppSpecification"] == {
        "ImageUri": IMAGE,
        "ContainerArguments": ["process", "preprocess", "--seed", "1"],
    }
    assert [(i["InputName"], i["S3Input"]["LocalPath"]) for i in job["ProcessingInputs"]] == [
        ("raw", "/opt/ml/processing/input/raw")
    ]
    assert job["ProcessingInputs"][0]["S3Input"]["S3Uri"] == f"s3://{BUCKET}/sagemaker-algorithm/processing/input/raw"
    assert "processing/input/raw/: 1 file(s) uploaded, 0 unchanged" in process["stderr"]
    assert [o["OutputName"] for o in job["ProcessingOutputConfig"]["Outputs"]] == [
        "evaluation",
        "training",
        "validation",
    ]
    assert "NetworkConfig" not in job and "KmsKeyId" not in job["ProcessingOutputConfig"]
    # the logs, then each output downloaded where bin/process.sh writes it, its paths on stdout
    assert [line for line in process["stderr"].splitlines() if line.startswith("[algo-")] == [
        "[algo-1] read 150 raw records",
        "[algo-1] 120 training and 30 validation records",
    ]
    assert ok(process).splitlines() == [
        "opt/ml/processing/output/training/iris.csv",
        "opt/ml/processing/output/validation/iris.csv",
    ]
    assert (project / "opt/ml/processing/output/training/iris.csv").read_text() == OUTPUTS["training"]["iris.csv"]
    # recorded: status shows it, destroy removes it and its outputs' prefix
    assert f"processing-job\t{name}\tCompleted\t-\t-" in ok(status)
    assert f"deleted processing-job {name}" in destroy["stderr"]
    assert f"deleted s3-prefix s3://{BUCKET}/sagemaker-algorithm/processing/{name}" in destroy["stderr"]
    assert state(project) == []
    assert not any(botocore_errors(sent, tmp_path).values())


def test_named_inputs_and_outputs_replace_the_folders_and_carry_the_production_settings(project, tmp_path):
    model = project / "model.tar.gz"
    model.write_bytes(b"not really a model")
    results, sent, _ = on_moto(
        project,
        [
            "process",
            "--image",
            IMAGE,
            "--input",
            f"model={model}",
            "--input",
            "test=s3://elsewhere/held-out/",
            "--output",
            "evaluation",
            "--instance-count",
            "2",
            "evaluate",
            "--target",
            "species",
        ],
        ["status"],
        PROCESSING_OUTPUTS=json.dumps({"evaluation": {"evaluation.json": "{}"}}),
        **PRODUCTION,
    )
    process, status = results
    assert process["code"] == 0, process["stderr"]
    job = requests_of(sent, "CreateProcessingJob")[0]
    assert job["AppSpecification"]["ContainerArguments"] == ["process", "evaluate", "--target", "species"]
    assert {i["InputName"]: i["S3Input"]["S3Uri"] for i in job["ProcessingInputs"]} == {
        "model": f"s3://{BUCKET}/sagemaker-algorithm/processing/input/model/model.tar.gz",
        "test": "s3://elsewhere/held-out/",
    }
    assert ok(process) == "opt/ml/processing/output/evaluation/evaluation.json\n"
    # the production settings, as train applies them: VPC, isolation, encryption between hosts, the key
    assert job["NetworkConfig"] == {
        "VpcConfig": VPC,
        "EnableNetworkIsolation": True,
        "EnableInterContainerTrafficEncryption": True,
    }
    assert job["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"] == KEY
    assert job["ProcessingOutputConfig"]["KmsKeyId"] == KEY
    upload = next(r["params"] for r in sent if r["operation"] == "PutObject" and r["params"]["Key"].endswith(".tar.gz"))
    assert (upload["ServerSideEncryption"], upload["SSEKMSKeyId"]) == ("aws:kms", KEY)
    shown = next(line for line in ok(status).splitlines() if line.startswith("processing-job"))
    assert f"vpc {','.join(SUBNETS)} {GROUP}" in shown and f"kms {KEY}" in shown and "network isolation" in shown
    assert not any(botocore_errors(sent, tmp_path).values())


@pytest.mark.parametrize(
    "argument, message",
    [
        ("raw", "--input 'raw': give NAME=FOLDER, NAME=FILE or NAME=s3://BUCKET/PREFIX"),
        ("raw=missing-folder", "--input raw=missing-folder: "),
        ("bad_name=s3://b/k", "--input 'bad_name=s3://b/k': give NAME=FOLDER"),
    ],
)
def test_a_bad_input_is_one_line_before_any_call(project, argument, message):
    results, sent, _ = on_moto(project, ["process", "--image", IMAGE, "--input", argument, "preprocess"])
    assert error_line(results[0], 2).startswith(message)
    assert not [r for r in sent if r["service"] == "sagemaker" or r["operation"] == "PutObject"]


def test_a_failed_processing_job_prints_its_exit_message(project):
    result = stubbed(project, "processing_fails", "process", "--image", IMAGE, "preprocess")
    assert error_line(result, 1).endswith(
        "is Failed: AlgorithmError: See job logs for more information: "
        "ValueError: input raw (/opt/ml/processing/input/raw) holds no file"
    )
    assert result["unused"] == 0


def test_ctrl_c_stops_the_processing_job_on_sagemaker_and_says_so(project):
    result = stubbed(project, "processing_interrupted", "process", "--image", IMAGE, "preprocess")
    assert "Ctrl-C: stopping processing job" in result["stderr"]
    assert error_line(result, 130).endswith("was stopped on SageMaker (Ctrl-C); it ended Stopped")
    assert result["unused"] == 0
