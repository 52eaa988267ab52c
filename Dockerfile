# The image pushed to ECR and run by SageMaker as `docker run IMAGE train` / `docker run IMAGE serve`.
# Build with bin/docker-build.sh (tag ${DOCKER_NAME}:dev-base). The base image comes from BASE_IMAGE in .env:
# a mirror or a GPU base is a change there, not here. Any Debian-like image with python3 and its venv module works.
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

# Without this label SageMaker refuses the image in an inference pipeline and never sends SAGEMAKER_BIND_TO_PORT.
LABEL com.amazonaws.sagemaker.capabilities.accept-bind-to-port=true
# Lets the image host multi-model endpoints; SageMaker then sets SAGEMAKER_MULTI_MODEL=true (docs/how-to/multi-model.md).
# Single-model endpoints are served as before.
LABEL com.amazonaws.sagemaker.capabilities.multi-models=true

# A venv works the same on the official python image and on a distribution's python3, and keeps our packages apart
# from the system's. Unbuffered output: what a dying job printed last still reaches CloudWatch.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Requirements before code: editing algorithm.py must not reinstall pandas. Every file pip installs must match a
# hash in requirements.txt: a build next year installs byte for byte what was tested.
COPY requirements.txt /tmp/requirements.txt
RUN python3 -m venv /opt/venv \
 && pip install --require-hashes -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# Only what runs: .dockerignore admits nothing else (no tests, no opt/ sample data, no .env, no .git).
COPY main.py algorithm.py /opt/program/
COPY framework/ /opt/program/framework/
COPY lib/ /opt/program/lib/
WORKDIR /opt/program

EXPOSE 8080
# Exec form, no init: SageMaker passes `train` or `serve` as the argument, and SIGTERM goes straight to Python.
# SageMaker expects root, so there is no USER.
ENTRYPOINT ["/opt/venv/bin/python", "/opt/program/main.py"]
