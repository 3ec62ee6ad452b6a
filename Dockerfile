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
COPY Cargo.toml Cargo.lock ./
COPY migrations migrations
COPY src src
RUN cargo build --release --locked --bin last-whisper \
    && strip target/release/last-whisper

# --- onnxruntime: the shared library from the PyPI wheel (ort is built with load-dynamic) ----------
FROM python:3.11-slim-bookworm AS onnxruntime
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
COPY scripts/install-onnxruntime.sh /tmp/install-onnxruntime.sh
RUN lib="$(bash /tmp/install-onnxruntime.sh /opt/onnxruntime)" \
    && cp "$lib" /opt/onnxruntime/libonnxruntime.so

# --- runtime ---------------------------------------------------------------------------------------
FROM debian:bookworm-slim
# curl only for the HEALTHCHECK; libstdc++/libgcc for ONNX Runtime.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl libstdc++6 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /app --no-create-home lastwhisper \
    && mkdir -p /app/data /app/audio /app/models /app/voices \
    && chown -R lastwhisper:lastwhisper /app
COPY --from=build /src/target/release/last-whisper /usr/local/bin/last-whisper
COPY --from=onnxruntime /opt/onnxruntime/libonnxruntime.so /usr/local/lib/libonnxruntime.so
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
    MALLOC_ARENA_MAX=2
VOLUME ["/app/data", "/app/audio", "/app/models"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["sh", "-c", "curl -fsS http://127.0.0.1:${PORT}/health || exit 1"]
ENTRYPOINT ["/usr/local/bin/last-whisper"]
CMD ["serve"]
