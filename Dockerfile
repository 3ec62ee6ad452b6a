# Last Whisper: one binary serving the dictation API, TTS tasks and speech on demand.
#   docker build -t last-whisper .
#   docker run -p 8000:8000 -v lw-data:/app/data -v lw-audio:/app/audio -v lw-models:/app/models last-whisper
# Starts on the embedded defaults (SQLite in /app/data, audio in /app/audio). Put an MMS-TTS ONNX export
# in the models volume (models/mms-tts-fin) for local synthesis, or set TTS_PROVIDER=azure|gcp; set
# DATABASE_URL=postgres://… to share one database between several containers.

# --- build: the release binary ---------------------------------------------------------------------
FROM rust:1.95-slim-bookworm AS build
# The bundled LAME (mp3) and SQLite are compiled with the C toolchain.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
# Build settings (the bundled SQLite's compile flags).
COPY .cargo .cargo
COPY migrations migrations
COPY src src
# The crate registry and the target folder are build caches (BuildKit / Buildah cache mounts): after
# a source change only this crate is compiled again, not its ~400 dependencies.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin last-whisper \
    && cp target/release/last-whisper /usr/local/bin/last-whisper \
    && strip /usr/local/bin/last-whisper

# --- onnxruntime: the shared library from the PyPI wheel (ort is built with load-dynamic) ----------
FROM python:3.11-slim-bookworm AS onnxruntime
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
COPY scripts/install-onnxruntime.sh /tmp/install-onnxruntime.sh
RUN lib="$(bash /tmp/install-onnxruntime.sh /opt/onnxruntime)" \
    && cp --remove-destination "$lib" /opt/onnxruntime/libonnxruntime.so

# --- runtime ---------------------------------------------------------------------------------------
FROM debian:bookworm-slim
# libstdc++/libgcc for ONNX Runtime; the HEALTHCHECK is the binary's own `healthcheck` command.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libstdc++6 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /app --no-create-home lastwhisper \
    && mkdir -p /app/data /app/audio /app/models /app/voices \
    && chown -R lastwhisper:lastwhisper /app
COPY --from=build /usr/local/bin/last-whisper /usr/local/bin/last-whisper
COPY --from=onnxruntime /opt/onnxruntime/libonnxruntime.so /usr/local/lib/libonnxruntime.so
# The licence, every dependency's licence and notices, the SBOM (scripts/notices.sh), ONNX Runtime's.
COPY LICENSE licenses/THIRD-PARTY-NOTICES.md licenses/last-whisper.cdx.json /usr/share/doc/last-whisper/
COPY --from=onnxruntime /opt/onnxruntime/LICENSE-onnxruntime /opt/onnxruntime/ThirdPartyNotices-onnxruntime.txt /usr/share/doc/last-whisper/
WORKDIR /app
USER 10001:10001
ENV ENVIRONMENT=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATABASE_URL=sqlite:////app/data/dictation.db \
    AUDIO_DIR=/app/audio \
    TTS_MODEL_DIR=/app/models/mms-tts-fin \
    VOICES_DIR=/app/voices \
    ORT_DYLIB_PATH=/usr/local/lib/libonnxruntime.so \
    LOG_FORMAT=json \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=131072
VOLUME ["/app/data", "/app/audio", "/app/models", "/app/voices"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=6s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/last-whisper", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/last-whisper"]
CMD ["serve"]
