"""What a resource costs per hour while it exists, for `status`: on-demand list prices, USD, us-east-1.

A guide, not a bill: prices differ by region and change; https://aws.amazon.com/sagemaker/pricing/ is authoritative
(add your instance types and region's figures here). Training, real-time hosting and batch transform bill the same
instance hours; serverless endpoints bill per second of inference (nothing while idle); models, endpoint
configurations and finished jobs cost nothing; S3 bills storage (about $0.023 per GB-month).
"""

PER_HOUR = {
    "ml.t2.medium": 0.056,
    "ml.t3.medium": 0.05,
    "ml.m5.large": 0.115,
    "ml.m5.xlarge": 0.23,
    "ml.m5.2xlarge": 0.461,
    "ml.m5.4xlarge": 0.922,
    "ml.c5.large": 0.102,
    "ml.c5.xlarge": 0.204,
    "ml.c5.2xlarge": 0.408,
    "ml.g4dn.xlarge": 0.7364,
    "ml.p3.2xlarge": 3.825,
}


def per_hour(instance_type: str, count: int) -> str:
    """The hourly cost of `count` instances, as status prints it."""
    price = PER_HOUR.get(instance_type)
    if price is None:
        return f"{count} x {instance_type} (price: see aws.amazon.com/sagemaker/pricing)"
    return f"${price * count:.3f}/h ({count} x {instance_type})"
