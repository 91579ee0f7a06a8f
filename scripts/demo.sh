#!/usr/bin/env bash
# README's first command: the main job, end to end, on a fresh machine.
# Installs what is missing, starts Kafka and PostgreSQL, builds, and runs the
# hub's plumbing check: synthetic FeedRecords published as single-object Avro
# to the real broker and read back, and a PostgreSQL round trip.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== dependencies"
scripts/deps.sh
echo "== services (Kafka, PostgreSQL)"
scripts/services.sh start
eval "$(scripts/services.sh env --export)"
echo "== build"
scripts/build.sh release
echo "== publish and read back a sample of Avro records"
build/bin/riskhub-selftest --config config/riskhub.yaml --records "${RH_DEMO_RECORDS:-1000}"
echo "== done; stop the services with: scripts/services.sh stop"
