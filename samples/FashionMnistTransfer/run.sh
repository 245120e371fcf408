#!/usr/bin/env bash
# ML.NET's DnnFeaturizeImage + SDCA, our fine-tuning of the same ResNet-18, and ours from scratch, on a Fashion-MNIST
# subset; one line per approach. Installs Fashion-MNIST (Debian package) if needed.
# Usage: samples/FashionMnistTransfer/run.sh --train-limit 1000|10000 [--approach all|featurizer|fine-tune|scratch]
set -euo pipefail
source "$(dirname "$0")/../FashionMnist/environment.sh"
cd "$(dirname "$0")/../.."
dotnet build -c Release samples/FashionMnistTransfer -v quiet -nologo > /dev/null
exec dotnet run -c Release --no-build --project samples/FashionMnistTransfer -- "$@"
