# kitbase/node:18-runtime-nonroot: kitbase/node:18-runtime as distroless' :nonroot tag has it --
# the same files, run as nonroot (uid and gid 65532) in its home.
ARG NODE_RUNTIME=kitbase/node:18-runtime
FROM ${NODE_RUNTIME}
USER 65532:65532
WORKDIR /home/nonroot
