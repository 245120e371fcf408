#!/usr/bin/env bash
# Loshchilov & Hutter's decoupled-weight-decay result on Fashion-MNIST: installs the data (Debian package) if needed,
# trains the learning-rate x weight-decay grids for Adam-with-L2 and AdamW, and writes heatmaps and a CSV.
# Usage: samples/DecoupledWeightDecay/run.sh [--model mlp|resnet] [--optimizers adam|adamw|both] [--out DIR]
#        [--train-limit N] [--epochs N] [--seeds N] [--threads N]
# --model resnet: CifarResNet-20 (width 16, batch norm), 2,000 images, 8 epochs, one seed, a 4 x 4 grid per optimizer.
set -euo pipefail
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  SUDO=$([ "$(id -u)" -eq 0 ] && echo "" || echo sudo)
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq dataset-fashion-mnist
fi
cd "$(dirname "$0")/../.."
exec dotnet run -c Release --project samples/DecoupledWeightDecay -- "$@"
