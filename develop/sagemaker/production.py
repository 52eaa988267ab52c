"""The production settings (config.Production: VPC, KMS key, network isolation, encrypted traffic between hosts) in
every request the commands send, what cannot work refused before anything is created, and what `status` shows.

One place for each field, so that train, deploy, transform and the uploads apply a setting alike
(docs/how-to/production-settings.md).
"""

import re

from .config import ConfigError, Production

# Instance families whose storage is NVMe instance store only: SageMaker encrypts it in hardware and refuses an
# EndpointConfig.KmsKeyId for them (CreateEndpointConfig's documentation): the "d" families (m5d, c5d, r5d, m6id,
# g4dn, p3dn, p4d, ...) and the GPU and Trainium families that come with local NVMe (g5, g6, g6e, p5, trn1).
NVME_ONLY = re.compile(r"ml\.([a-z]+\d+[a-z]*d[a-z]*|g5|g6|g6e|p5|p5e|trn1|trn1n)\..*")


def vpc_config(production: Production) -> dict | None:
    if not production.subnets:
        return None
    return {"SecurityGroupIds": list(production.security_groups), "Subnets": list(production.subnets)}


def training(request: dict, production: Production) -> dict:
    """CreateTrainingJob: the hosts in the VPC, their volumes and the model encrypted with the key, isolation, and
    encrypted traffic between the hosts."""
    if production.subnets:
        request["VpcConfig"] = vpc_config(production)
    if production.kms_key:
        request["ResourceConfig"]["VolumeKmsKeyId"] = production.kms_key
        request["OutputDataConfig"]["KmsKeyId"] = production.kms_key
    if production.network_isolation:
        request["EnableNetworkIsolation"] = True
    if production.inter_container_encryption:
        request["EnableInterContainerTrafficEncryption"] = True
    return request


def processing(request: dict, production: Production) -> dict:
    """CreateProcessingJob: the hosts in the VPC, isolated, their traffic encrypted (NetworkConfig), their volumes and
    the outputs encrypted with the key."""
    network = {}
    if production.subnets:
        network["VpcConfig"] = vpc_config(production)
    if production.network_isolation:
        network["EnableNetworkIsolation"] = True
    if production.inter_container_encryption:
        network["EnableInterContainerTrafficEncryption"] = True
    if network:
        request["NetworkConfig"] = network
    if production.kms_key:
        request["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"] = production.kms_key
        request["ProcessingOutputConfig"]["KmsKeyId"] = production.kms_key
    return request


def model(request: dict, production: Production) -> dict:
    """CreateModel: where the endpoint's and the transform job's containers run, and whether they may reach out."""
    if production.subnets:
        request["VpcConfig"] = vpc_config(production)
    if production.network_isolation:
        request["EnableNetworkIsolation"] = True
    return request


def check_endpoint(production: Production, mode: str, instance_type: str) -> None:
    """What an endpoint of this mode and instance type cannot have: refused before the model is made."""
    if mode == "serverless" and (production.subnets or production.network_isolation):
        given = "SUBNETS" if production.subnets else "NETWORK_ISOLATION"
        raise ConfigError(
            f"{given} is set and serverless endpoints run neither in a VPC nor isolated: deploy --mode realtime "
            "(or async), or unset it for this endpoint"
        )
    if mode != "serverless" and production.kms_key and NVME_ONLY.fullmatch(instance_type):
        raise ConfigError(
            f"{instance_type} has only NVMe instance storage, which SageMaker encrypts itself and for which it "
            "refuses a KMS key (KMS_KEY_ID): choose an instance type without local storage, or unset KMS_KEY_ID"
        )


def endpoint_config(request: dict, production: Production, mode: str) -> dict:
    """CreateEndpointConfig: the instances' storage volume and the asynchronous answers encrypted with the key
    (a serverless endpoint has no volume of its own)."""
    if production.kms_key and mode != "serverless":
        request["KmsKeyId"] = production.kms_key
    if production.kms_key and "AsyncInferenceConfig" in request:
        request["AsyncInferenceConfig"]["OutputConfig"]["KmsKeyId"] = production.kms_key
    return request


def transform(request: dict, production: Production) -> dict:
    """CreateTransformJob: its answers and its instances' volumes encrypted (its network is the model's)."""
    if production.kms_key:
        request["TransformOutput"]["KmsKeyId"] = production.kms_key
        request["TransformResources"]["VolumeKmsKeyId"] = production.kms_key
    return request


def upload_arguments(kms_key: str | None) -> dict:
    """S3's ExtraArgs for what the commands upload: SSE-KMS with the key when one is set."""
    return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key} if kms_key else {}


def summary(found: dict) -> str:
    """The settings a Describe* answer shows (a training or transform job, a model, an endpoint configuration), as
    `status` prints them: what SageMaker has, not what was asked."""
    parts = []
    network = found.get("NetworkConfig", {})  # a processing job's
    vpc = found.get("VpcConfig") or network.get("VpcConfig")
    if vpc:
        parts.append(f"vpc {','.join(vpc.get('Subnets', []))} {','.join(vpc.get('SecurityGroupIds', []))}")
    keys = [
        found.get("KmsKeyId"),
        found.get("ResourceConfig", {}).get("VolumeKmsKeyId"),
        found.get("OutputDataConfig", {}).get("KmsKeyId"),
        found.get("TransformOutput", {}).get("KmsKeyId"),
        found.get("TransformResources", {}).get("VolumeKmsKeyId"),
        found.get("ProcessingResources", {}).get("ClusterConfig", {}).get("VolumeKmsKeyId"),
        found.get("ProcessingOutputConfig", {}).get("KmsKeyId"),
    ]
    keys = sorted({key for key in keys if key})
    if keys:
        parts.append(f"kms {','.join(keys)}")
    if found.get("EnableNetworkIsolation") or network.get("EnableNetworkIsolation"):
        parts.append("network isolation")
    if found.get("EnableInterContainerTrafficEncryption") or network.get("EnableInterContainerTrafficEncryption"):
        parts.append("inter-container encryption")
    captured = found.get("DataCaptureConfig") or {}
    if captured.get("EnableCapture", bool(captured)):
        parts.append(f"capture {captured['InitialSamplingPercentage']}% to {captured['DestinationS3Uri']}")
    keep_alive = found.get("ResourceConfig", {}).get("KeepAlivePeriodInSeconds")
    if keep_alive:
        pool = found.get("WarmPoolStatus", {}).get("Status")
        parts.append(f"warm pool {keep_alive} s{f' ({pool})' if pool else ''}")
    return "; ".join(parts) or "-"
