"""`bin/sagemaker.sh deploy`: a model, an endpoint configuration and an endpoint (real-time, serverless or
asynchronous); an endpoint this project made already is updated in place with blue/green deployment guardrails
(all at once or canary, rolled back automatically when one of the given CloudWatch alarms fires)."""

import sys

from botocore.exceptions import ClientError

from . import capture, production, scaling, waiting
from . import model_data as artifacts
from .algorithm import Algorithm
from .aws import not_found
from .config import Config, ConfigError
from .names import tags, unique_name
from .state import State

VARIANT = "AllTraffic"  # one variant; an update must keep its name
MODES = ("realtime", "serverless", "async")
STRATEGIES = ("all-at-once", "canary")
ENDPOINT_TIMEOUT = 3600  # botocore's endpoint_in_service waiter: 30 s x 120
BUSY = {"Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting"}
MAX_ALARMS = 10  # the alarms an update may watch: AutoRollbackConfiguration's limit


def model_data_of(state: State) -> tuple[str, str]:
    """(model artifact, image) of this project's last completed training job."""
    job = next((e for e in reversed(state.find("training-job")) if e.get("model_data")), None)
    if job is None:
        raise ConfigError(
            "no trained model: run bin/sagemaker.sh train first, or give --model-data s3://.../model.tar.gz"
        )
    return job["model_data"], job["image"]


def resolve(state: State, config: Config, model_data: str | None, image: str | None) -> tuple[str, str]:
    """(artifact, image): the given ones, else the last training's artifact and the image it trained with."""
    if model_data is None:
        model_data, trained_with = model_data_of(state)
        image = image or trained_with
    return model_data, image or Algorithm.of(config.project, None).image


def create_model(aws, state: State, config: Config, *, model_data: str | None, image: str | None) -> str:
    """CreateModel from the given artifact (default: the last training's; a prefix ending in / is uncompressed
    model data) and image (default: that training's)."""
    model_data, image = resolve(state, config, model_data, image)
    name = unique_name(config)
    request = {
        "ModelName": name,
        "PrimaryContainer": artifacts.container(image, model_data),
        "ExecutionRoleArn": config.require_role(),
        "Tags": tags(config),
    }
    aws.sagemaker.create_model(**production.model(request, config.production))
    state.add("model", name, aws.region, image=image, model_data=model_data)
    print(f"created model {name} ({model_data})", file=sys.stderr, flush=True)
    return name


def endpoint_config_request(
    config: Config,
    name: str,
    model: str,
    *,
    mode: str,
    instance_type: str,
    instance_count: int,
    memory_mb: int,
    max_concurrency: int,
    timeouts: dict | None = None,
    capture_percent: int | None = None,
) -> dict:
    variant: dict = {"VariantName": VARIANT, "ModelName": model}
    if mode == "serverless":
        variant["ServerlessConfig"] = {"MemorySizeInMB": memory_mb, "MaxConcurrency": max_concurrency}
    else:
        variant.update(InstanceType=instance_type, InitialInstanceCount=instance_count, **(timeouts or {}))
    request = {"EndpointConfigName": name, "ProductionVariants": [variant], "Tags": tags(config)}
    if capture_percent:
        request["DataCaptureConfig"] = capture.data_capture_config(config, capture_percent)
    if mode == "async":
        request["AsyncInferenceConfig"] = {
            "OutputConfig": {
                "S3OutputPath": config.s3_uri("async", "output") + "/",
                "S3FailurePath": config.s3_uri("async", "failure") + "/",
            }
        }
    return production.endpoint_config(request, config.production, mode)


def deployment_config(strategy: str, canary_percent: int, bake_seconds: int, alarms: list[str]) -> dict:
    """UpdateEndpoint's guardrails: blue/green, all traffic at once or a canary first, then a baking period during
    which any of `alarms` rolls the update back."""
    routing: dict = {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}
    if strategy == "canary":
        routing = {
            "Type": "CANARY",
            "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": canary_percent},
            "WaitIntervalInSeconds": bake_seconds,
        }
    policy = {"TrafficRoutingConfiguration": routing, "TerminationWaitInSeconds": bake_seconds}
    found = {"BlueGreenUpdatePolicy": policy}
    if alarms:
        found["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": alarm} for alarm in alarms]}
    return found


def deploy(
    aws,
    state: State,
    config: Config,
    *,
    model_data: str | None = None,
    image: str | None = None,
    mode: str = "realtime",
    instance_type: str | None = None,
    instance_count: int = 1,
    memory_mb: int = 2048,
    max_concurrency: int = 5,
    strategy: str = "all-at-once",
    canary_percent: int = 10,
    bake_seconds: int = 300,
    alarms: tuple[str, ...] = (),
    wait_timeout: float = ENDPOINT_TIMEOUT,
    scale: scaling.Scaling | None = None,
    startup_timeout: int | None = None,
    download_timeout: int | None = None,
    capture_percent: int | None = None,
) -> str:
    """Creates or updates the endpoint; returns its name once it serves the new model. `scale`: the instance count
    between its limits, tracking invocations per instance (realtime only)."""
    config.require_role()
    capture.check(capture_percent, mode)
    if mode == "async" or capture_percent:
        config.require_bucket()
    if len(alarms) > MAX_ALARMS:
        raise ConfigError(f"at most {MAX_ALARMS} --alarm (AutoRollbackConfiguration's limit)")
    instance_type = instance_type or config.endpoint_instance_type
    config.production.check_region(aws.region)
    production.check_endpoint(config.production, mode, instance_type)
    artifacts.check("--startup-timeout", startup_timeout)
    artifacts.check("--download-timeout", download_timeout)
    if mode == "serverless" and (startup_timeout or download_timeout):
        raise ConfigError("--startup-timeout and --download-timeout are for instances: not --mode serverless")
    if scale is not None:
        if mode != "realtime":
            raise ConfigError(f"--min-instances/--max-instances scale real-time endpoints: not --mode {mode}")
        scale.check()
        if not scale.minimum <= instance_count <= scale.maximum:
            instance_count = min(max(instance_count, scale.minimum), scale.maximum)
            print(f"starting with {instance_count} instance(s), within the scaling limits", file=sys.stderr)
    endpoint = config.endpoint_name
    existing = describe_endpoint(aws, endpoint)
    if existing is not None:
        if not state.find("endpoint", name=endpoint):
            raise ConfigError(
                f"endpoint {endpoint} exists and was not made by this project's bin/sagemaker.sh: "
                "give another name (--endpoint or ENDPOINT_NAME)"
            )
        if existing["EndpointStatus"] in BUSY:
            raise ConfigError(f"endpoint {endpoint} is {existing['EndpointStatus']}: wait until it is InService")
        if existing["EndpointStatus"] == "Failed":
            raise ConfigError(f"endpoint {endpoint} is Failed: remove it with bin/sagemaker.sh destroy, then deploy")
    recorded = state.latest("endpoint", name=endpoint) or {}
    # Scaling this project registered: kept across the update (AWS refuses an instance type change under it).
    kept = scaling.registered(aws, endpoint, VARIANT) if existing is not None and recorded.get("scaling") else None

    model_data, image = resolve(state, config, model_data, image)
    timeouts = {}
    if mode != "serverless":
        size = artifacts.size(aws, model_data) if not (startup_timeout and download_timeout) else None
        timeouts = artifacts.timeouts(size, startup_timeout, download_timeout)
    model = create_model(aws, state, config, model_data=model_data, image=image)
    config_name = model  # one configuration per model, under the same name
    request = endpoint_config_request(
        config,
        config_name,
        model,
        mode=mode,
        instance_type=instance_type,
        instance_count=instance_count,
        memory_mb=memory_mb,
        max_concurrency=max_concurrency,
        timeouts=timeouts,
        capture_percent=capture_percent,
    )
    aws.sagemaker.create_endpoint_config(**request)
    state.add("endpoint-config", config_name, aws.region, mode=mode, variant=request["ProductionVariants"][0])
    if mode == "async":  # where the endpoint writes answers, and predict puts requests: this project's alone
        state.add("s3-prefix", config.s3_uri("async"), aws.region)
    if capture_percent:  # what the endpoint records: this project's alone
        state.add("s3-prefix", capture.location(config), aws.region)

    if existing is None:
        aws.sagemaker.create_endpoint(EndpointName=endpoint, EndpointConfigName=config_name, Tags=tags(config))
        state.add("endpoint", endpoint, aws.region)
        print(f"creating endpoint {endpoint} ({mode})", file=sys.stderr, flush=True)
    else:
        guardrails = deployment_config(strategy, canary_percent, bake_seconds, list(alarms))
        if kept is not None and instance_type != recorded.get("instance_type"):
            print(f"endpoint {endpoint}: another instance type: scaling removed for the update", file=sys.stderr)
            scaling.deregister(aws, endpoint, VARIANT)
        aws.sagemaker.update_endpoint(
            EndpointName=endpoint, EndpointConfigName=config_name, DeploymentConfig=guardrails
        )
        print(
            f"updating endpoint {endpoint} from {existing['EndpointConfigName']} to {config_name} "
            f"(blue/green, {strategy}{', rollback on ' + ', '.join(alarms) if alarms else ''})",
            file=sys.stderr,
            flush=True,
        )
    try:
        found = waiting.wait(
            lambda: aws.sagemaker.describe_endpoint(EndpointName=endpoint),
            what=f"endpoint {endpoint}",
            status_key="EndpointStatus",
            done={"InService"},
            failed={"Failed", "UpdateRollbackFailed", "OutOfService"},
            timeout=wait_timeout,
        )
    except waiting.WaitFailed as exc:
        if mode == "serverless" or "health check" not in str(exc).lower():
            raise
        waited = timeouts.get("ContainerStartupHealthCheckTimeoutInSeconds")
        raise waiting.WaitFailed(
            f"{exc} (the health check waited {f'{waited} s' if waited else 'the default 4 minutes'}: a model that "
            f"takes longer to load needs --startup-timeout SECONDS, up to {artifacts.TIMEOUTS[1]})"
        ) from None
    if found["EndpointConfigName"] != config_name:
        if kept is not None:  # the old fleet serves again, with the scaling it had
            scaling.register(aws, endpoint, VARIANT, kept)
        raise waiting.WaitFailed(
            f"the update of endpoint {endpoint} was rolled back to {found['EndpointConfigName']}: "
            f"{found.get('FailureReason') or 'an alarm fired'}"
        )
    state.update("endpoint", endpoint, config=config_name, mode=mode, instance_type=instance_type)
    if scale is not None or kept is not None:
        scaling.register(aws, endpoint, VARIANT, scale or kept)
        state.update("endpoint", endpoint, scaling=True)
    return endpoint


def describe_endpoint(aws, name: str) -> dict | None:
    try:
        return aws.sagemaker.describe_endpoint(EndpointName=name)
    except ClientError as exc:
        if not_found(exc):
            return None
        raise
