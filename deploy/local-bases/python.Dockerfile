# Local stand-in for the official Python image (python:3.11.x-slim), made from Debian's own Python 3.11
# when no container registry answers (deploy/local-bases.sh builds it; never published).
# Debian's Python is "externally managed": PIP_BREAK_SYSTEM_PACKAGES lets the project Dockerfiles'
# `pip install` into the system Python as they do on the official image. /usr/local/bin/python3 and
# /usr/local/bin/python point at it, where the official image has its interpreter.
ARG DEBIAN_IMAGE=arena-local/debian:12
FROM ${DEBIAN_IMAGE}

# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv python3-pip ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && ln -s /usr/bin/python3 /usr/local/bin/python3 \
    && ln -s /usr/bin/python3 /usr/local/bin/python \
    && python3 --version

ENV LANG=C.UTF-8 \
    PIP_BREAK_SYSTEM_PACKAGES=1
CMD ["python3"]
