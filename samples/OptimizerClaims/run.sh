#!/usr/bin/env bash
# The claims about optimizers this project started from, measured on Fashion-MNIST: installs the data (Debian package) if needed, trains,
# and writes runs.csv, a figure and summary.txt per claim.
# Usage: samples/OptimizerClaims/run.sh --claim lr-sweep|large-batch|curves [--out DIR] [--seeds N] [--epochs N]
#        [--train-limit N] [--threads N] [--optimizers a,b,..] [--learning-rates a,b,..] [--batch-sizes a,b,..]
#        [--base-from lr-sweep/runs.csv] [--scaling linear|sqrt] [--replot runs.csv]
# lr-sweep: accuracy against learning rate (SGD-m, AdamW, Lion, Schedule-Free AdamW, LAMB, LARS) on the batch-norm MLP.
# large-batch: batch 128 to 4096 with linearly scaled learning rates (LAMB, LARS, AdamW, SGD-m) on the same MLP,
#   starting from each optimizer's best rate in an lr-sweep (--base-from).
# curves: test accuracy and loss per epoch of the Fashion-MNIST sample's CNN, SGD-m against AdamW at the same budget.
set -euo pipefail
source "$(dirname "$0")/../FashionMnist/environment.sh"
cd "$(dirname "$0")/../.."
dotnet build -c Release samples/OptimizerClaims -v quiet -nologo > /dev/null
exec dotnet run -c Release --no-build --project samples/OptimizerClaims -- "$@"
