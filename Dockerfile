# One image for the API and the workers:  docker run IMAGE serve …  |  docker run IMAGE worker
# Build from the repository root:  docker build -t samestory .
# (tests/test_deploy.py checks this file's shape, since CI has no Docker engine to build it.)

# -- build: install samestory and its dependencies into a virtualenv ------------------------------------
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY service ./service
COPY workers ./workers
RUN python -m venv /opt/samestory \
 && /opt/samestory/bin/pip install . \
 # a fresh install of trafilatura's lxml chain can miss lxml_html_clean: fail the build, not the first job;
 # and the browser's static files and the block model must have been packaged
 && cd / && /opt/samestory/bin/python -c "import trafilatura, lxml_html_clean, lxml.html.clean, workers.pipeline, service.app; \
from importlib.resources import files; \
assert files('service').joinpath('static/index.html').is_file(), 'service/static not packaged'; \
assert files('workers').joinpath('data/blocks_model.json').is_file(), 'workers/data not packaged'" \
 && /opt/samestory/bin/samestory --help >/dev/null

# -- run: the virtualenv only, as an unprivileged user --------------------------------------------------
FROM python:3.11-slim
RUN useradd --create-home --uid 10001 samestory \
 && mkdir /data && chown samestory /data
COPY --from=build /opt/samestory /opt/samestory
ENV PATH=/opt/samestory/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SAMESTORY_DATA_DIR=/data
USER samestory
WORKDIR /home/samestory
# compile numba's loops (workers/line_features.py, workers/blocks.py, workers/language.py) into this user's
# cache, where every process of the container loads them instead of compiling them at its start (about
# fifty seconds on a 2-core machine); numba caches in the package's own folder only where it may write,
# which this user may not
RUN python -c "from workers.blocks import load_model; load_model()" \
 && test -n "$(find /home/samestory/.cache/numba -name '*.nbi')"
EXPOSE 8000
ENTRYPOINT ["samestory"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
