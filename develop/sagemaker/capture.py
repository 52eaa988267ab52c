"""`deploy --capture PERCENT`: the endpoint records that share of its requests and answers to S3 (DataCaptureConfig),
encrypted with KMS_KEY_ID when one is set: what SageMaker Model Monitor compares with a baseline."""

from .config import Config, ConfigError

# Recorded as text, not base64: the content types this template's decoders and encoders speak as text.
CSV_TYPES = ["text/csv"]
JSON_TYPES = ["application/json", "application/jsonlines"]


def check(percent: int | None, mode: str) -> None:
    if percent is None:
        return
    if not 0 < percent <= 100:
        raise ConfigError(f"--capture {percent}: give the share of requests to record, 1 to 100")
    if mode == "serverless":
        raise ConfigError("--capture: serverless endpoints do not capture data: deploy --mode realtime (or async)")


def location(config: Config) -> str:
    return config.s3_uri("capture")


def data_capture_config(config: Config, percent: int) -> dict:
    """EndpointConfig.DataCaptureConfig: requests and answers under capture/, as SageMaker lays them out
    (capture/ENDPOINT/VARIANT/yyyy/mm/dd/hh/*.jsonl)."""
    found = {
        "EnableCapture": True,
        "InitialSamplingPercentage": percent,
        "DestinationS3Uri": location(config),
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        "CaptureContentTypeHeader": {"CsvContentTypes": CSV_TYPES, "JsonContentTypes": JSON_TYPES},
    }
    if config.production.kms_key:
        found["KmsKeyId"] = config.production.kms_key
    return found
