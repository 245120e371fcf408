#!/usr/bin/env bash
# The main job: installs Fashion-MNIST (Debian package) if needed, then trains, evaluates and saves.
# Usage: samples/FashionMnist/run.sh [--optimizer sgdm|adamw] [--epochs N] [--train-limit N] [--precision bf16|fp32]
#        [--lr X] [--threads N]
set -euo pipefail
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  SUDO=$([ "$(id -u)" -eq 0 ] && echo "" || echo sudo)
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq dataset-fashion-mnist
fi
# glibc malloc: keep the large per-batch tensors out of mmap and do not hand freed memory back to the kernel at
# once; otherwise every batch faults fresh pages in (these settings halve the time spent in page faults).
export MALLOC_MMAP_THRESHOLD_=${MALLOC_MMAP_THRESHOLD_:-33554432}
export MALLOC_TRIM_THRESHOLD_=${MALLOC_TRIM_THRESHOLD_:-8589934592}
export MALLOC_TOP_PAD_=${MALLOC_TOP_PAD_:-536870912}
cd "$(dirname "$0")/../.."
dotnet build -c Release samples/FashionMnist -v quiet -nologo > /dev/null
exec dotnet run -c Release --no-build --project samples/FashionMnist -- "$@"
