#!/usr/bin/env bash
# Loshchilov & Hutter's decoupled-weight-decay result on Fashion-MNIST: installs the data (Debian package) if needed,
# trains the learning-rate x weight-decay grids for Adam-with-L2 and AdamW, and writes heatmaps and a CSV.
# Usage: samples/DecoupledWeightDecay/run.sh [--model mlp|bn-mlp|resnet] [--optimizers adam|adamw|both] [--out DIR]
#        [--train-limit N] [--test-limit N] [--epochs N] [--seeds N] [--threads N] [--hidden N] [--hidden-layers N]
#        [--batch-size N] [--learning-rates a,b,..] [--l2 a,b,..] [--lambdas a,b,..] [--replot grid.csv] [--search TRIALS]
# --model bn-mlp: two batch-normalized hidden layers, the figure in the README.
# --model resnet: CifarResNet-20 (width 16, batch norm), 2,000 images, 8 epochs, one seed, a 4 x 4 grid per optimizer.
set -euo pipefail
source "$(dirname "$0")/../FashionMnist/environment.sh"
cd "$(dirname "$0")/../.."
exec dotnet run -c Release --project samples/DecoupledWeightDecay -- "$@"
