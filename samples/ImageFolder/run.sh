#!/usr/bin/env bash
# Trains ResNet-18 on an image folder, streaming the files; the last line reports throughput and peak memory.
# Usage: samples/ImageFolder/run.sh (--data FOLDER | --generate N [--size S]) [--epochs N] [--width W] [--max-steps N]
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build -c Release samples/ImageFolder -v quiet -nologo > /dev/null
exec dotnet run -c Release --no-build --project samples/ImageFolder -- "$@"
