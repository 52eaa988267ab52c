"""A real-time endpoint that grows with its traffic: Application Auto Scaling's scalable target (the variant's instance
count between a minimum and a maximum) and a target-tracking policy on invocations per instance per minute.

AWS refuses an UpdateEndpoint that changes the variant's instance type while a scalable target is registered: deploy
deregisters it first and registers it again, with the same limits and policy, once the update is in service.
"""

import dataclasses
import re
import sys
from pathlib import Path

from botocore.exceptions import ClientError

from .config import ConfigError

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"
METRIC = "SageMakerVariantInvocationsPerInstance"  # invocations per instance per minute, SageMaker's own metric
# AWS's guidance for this metric: the highest requests/s one instance sustains x 60 x a safety factor of 0.5.
SAFETY_FACTOR = 0.5
SCALE_IN_COOLDOWN, SCALE_OUT_COOLDOWN = 300, 60  # seconds: remove instances slowly, add them quickly
# The benchmark's row for the framework serving the example model with a small CSV request (bench/RESULTS.md).
BENCH_ROW = re.compile(r"^\| framework / (\w+) \| CSV (\d+) rec \| ([\d,.]+) \|", re.MULTILINE)


@dataclasses.dataclass
class Scaling:
    minimum: int
    maximum: int
    target: float  # invocations per instance per minute
    scale_in_cooldown: int = SCALE_IN_COOLDOWN
    scale_out_cooldown: int = SCALE_OUT_COOLDOWN

    def check(self) -> "Scaling":
        if self.minimum < 1 or self.maximum < self.minimum:
            raise ConfigError(
                f"--min-instances {self.minimum} and --max-instances {self.maximum}: give 1 <= min <= max"
            )
        if self.target <= 0:
            raise ConfigError(f"--target-invocations {self.target:g}: give a number of invocations per minute > 0")
        return self


def requested(project: Path, minimum: int | None, maximum: int | None, target: float | None) -> Scaling | None:
    """deploy's flags: None without --max-instances; the target, when not given, from the benchmark (and said so)."""
    if maximum is None:
        if minimum is not None or target is not None:
            raise ConfigError("--min-instances and --target-invocations scale up to --max-instances: give it too")
        return None
    if target is None:
        target, why = benchmark_target(project)
        print(f"target {target:g} invocations per instance per minute, from {why}", file=sys.stderr, flush=True)
    return Scaling(minimum=minimum or 1, maximum=maximum, target=target).check()


def benchmark_target(project: Path) -> tuple[float, str]:
    """(target, why): the default target from what bin/benchmark.sh measured for one instance."""
    path = project / "bench" / "RESULTS.md"
    text = path.read_text() if path.is_file() else ""
    row = BENCH_ROW.search(text)
    if row is None:
        raise ConfigError(
            f"no --target-invocations and {path} holds no measured requests/s of the framework (bin/benchmark.sh "
            "writes it): give --target-invocations, invocations per instance per minute"
        )
    per_second = float(row.group(3).replace(",", ""))
    cpus = re.search(r"on (\d+) CPU", text)
    where = f"{cpus.group(1)} CPU(s)" if cpus else "one machine"
    why = (
        f"bench/RESULTS.md: the {row.group(1)} model answered {per_second:g} requests/s ({row.group(2)}-record CSV) "
        f"on {where} x 60 s x {SAFETY_FACTOR:g} (AWS's safety factor); measure your own algorithm and instance "
        "type with bin/benchmark.sh and give --target-invocations"
    )
    return round(per_second * 60 * SAFETY_FACTOR), why


def resource_id(endpoint: str, variant: str) -> str:
    return f"endpoint/{endpoint}/variant/{variant}"


def register(aws, endpoint: str, variant: str, scaling: Scaling) -> None:
    """The scalable target, then its policy (RegisterScalableTarget updates the limits of one that exists)."""
    target = {"ServiceNamespace": NAMESPACE, "ResourceId": resource_id(endpoint, variant)}
    target["ScalableDimension"] = DIMENSION
    aws.autoscaling.register_scalable_target(**target, MinCapacity=scaling.minimum, MaxCapacity=scaling.maximum)
    aws.autoscaling.put_scaling_policy(
        **target,
        PolicyName=policy_name(endpoint),
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": float(scaling.target),
            "PredefinedMetricSpecification": {"PredefinedMetricType": METRIC},
            "ScaleInCooldown": scaling.scale_in_cooldown,
            "ScaleOutCooldown": scaling.scale_out_cooldown,
        },
    )
    print(
        f"endpoint {endpoint}: {scaling.minimum} to {scaling.maximum} instances, tracking {scaling.target:g} "
        "invocations per instance per minute",
        file=sys.stderr,
        flush=True,
    )


def policy_name(endpoint: str) -> str:
    return f"{endpoint}-invocations-per-instance"


def registered(aws, endpoint: str, variant: str) -> Scaling | None:
    """The variant's scaling as Application Auto Scaling has it now (None: no scalable target)."""
    rid, name = resource_id(endpoint, variant), policy_name(endpoint)
    targets = aws.autoscaling.describe_scalable_targets(
        ServiceNamespace=NAMESPACE, ResourceIds=[rid], ScalableDimension=DIMENSION
    )["ScalableTargets"]
    if not targets:
        return None
    policies = aws.autoscaling.describe_scaling_policies(
        ServiceNamespace=NAMESPACE, ResourceId=rid, ScalableDimension=DIMENSION
    )["ScalingPolicies"]
    tracking = next((p["TargetTrackingScalingPolicyConfiguration"] for p in policies if p["PolicyName"] == name), {})
    return Scaling(
        minimum=targets[0]["MinCapacity"],
        maximum=targets[0]["MaxCapacity"],
        target=tracking.get("TargetValue", 0.0),
        scale_in_cooldown=tracking.get("ScaleInCooldown", SCALE_IN_COOLDOWN),
        scale_out_cooldown=tracking.get("ScaleOutCooldown", SCALE_OUT_COOLDOWN),
    )


def deregister(aws, endpoint: str, variant: str) -> None:
    """Its policies, then the scalable target; what is gone already counts as removed."""
    rid = resource_id(endpoint, variant)
    target = {"ServiceNamespace": NAMESPACE, "ResourceId": rid, "ScalableDimension": DIMENSION}
    try:
        for policy in aws.autoscaling.describe_scaling_policies(**target)["ScalingPolicies"]:
            aws.autoscaling.delete_scaling_policy(PolicyName=policy["PolicyName"], **target)
        aws.autoscaling.deregister_scalable_target(**target)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ObjectNotFoundException":
            raise


def summary(scaling: Scaling | None) -> str:
    if scaling is None:
        return ""
    return f"scaling {scaling.minimum}-{scaling.maximum} at {scaling.target:g} invocations/instance/minute"
