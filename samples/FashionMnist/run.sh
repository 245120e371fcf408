#!/usr/bin/env bash
# The main job: installs Fashion-MNIST (Debian package) if needed, then trains, evaluates and saves.
# Usage: samples/FashionMnist/run.sh [--optimizer sgdm|adamw] [--epochs N] [--train-limit N]
set -euo pipefail
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  SUDO=$([ "$(id -u)" -eq 0 ] && echo "" || echo sudo)
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq dataset-fashion-mnist
fi
cd "$(dirname "$0")/../.."
exec dotnet run -c Release --project samples/FashionMnist -- "$@"
