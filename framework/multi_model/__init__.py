"""A multi-model endpoint (SAGEMAKER_MULTI_MODEL=true): SageMaker's /models API over one algorithm."""
