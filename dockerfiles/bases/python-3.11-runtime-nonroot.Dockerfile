# kitbase/python:3.11-runtime-nonroot: kitbase/python:3.11-runtime as distroless' :nonroot tag has
# it -- the same files, run as nonroot (uid and gid 65532) in its home.
ARG PYTHON_RUNTIME=kitbase/python:3.11-runtime
FROM ${PYTHON_RUNTIME}
USER 65532:65532
WORKDIR /home/nonroot
