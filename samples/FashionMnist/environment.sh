# Sourced by the Fashion-MNIST samples' run.sh: installs the data (Debian package) if needed and tunes glibc malloc.
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  SUDO=$([ "$(id -u)" -eq 0 ] && echo "" || echo sudo)
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq dataset-fashion-mnist
fi
# glibc malloc: keep the large per-batch tensors out of mmap and do not hand freed memory back to the kernel at
# once; otherwise every batch faults fresh pages in (these settings halve the time spent in page faults).
export MALLOC_MMAP_THRESHOLD_=${MALLOC_MMAP_THRESHOLD_:-33554432}
export MALLOC_TRIM_THRESHOLD_=${MALLOC_TRIM_THRESHOLD_:-8589934592}
export MALLOC_TOP_PAD_=${MALLOC_TOP_PAD_:-536870912}
