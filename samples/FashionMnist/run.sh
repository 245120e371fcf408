#!/usr/bin/env bash
# The main job: installs Fashion-MNIST (Debian package) if needed, then trains, evaluates and saves.
# Usage: samples/FashionMnist/run.sh [--optimizer sgdm|adamw] [--epochs N] [--train-limit N] [--precision bf16|fp32]
#        [--lr X] [--weight-decay X] [--threads N] [--seed N] [--holdout N] [--test-time-flip true|false]
#        [--test-time-crop-padding N] [--evaluate MODEL]
set -euo pipefail
source "$(dirname "$0")/environment.sh"
cd "$(dirname "$0")/../.."
dotnet build -c Release samples/FashionMnist -v quiet -nologo > /dev/null
exec dotnet run -c Release --no-build --project samples/FashionMnist -- "$@"
