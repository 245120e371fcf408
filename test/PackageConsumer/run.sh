#!/usr/bin/env bash
# Proves the package path (README "Using the packages"): packs the library projects into a local feed, then
# builds test/PackageConsumer from those packages plus TorchSharp-cpu, trains and saves an image and a text
# model, scores both in a fresh process, and builds the consumer again without a backend to see the one
# clear error. Ends with "consumer: N passed, N failed"; exits non-zero on any failure.
# Options (environment): CONSUMER_KEEP_OUTPUT=1 keeps the consumer's bin/obj (about 1 GB of libtorch).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
feed="$repo/artifacts/packages"
work="$(mktemp -d)"
# A version of its own per run: NuGet never re-extracts a version it has cached, so reusing 0.1.0 could test
# stale packages. The packages of this run are removed from the NuGet cache at the end.
version="0.1.0-ci.$(date -u +%Y%m%d%H%M%S)"
torchsharp_version=$(sed -n 's:.*<TorchSharpVersion>\(.*\)</TorchSharpVersion>.*:\1:p' "$repo/Directory.Packages.props")
passed=0
failed=0

count() {  # reads a check's output, echoes it, counts its PASS/FAIL lines
  local out="$1"
  echo "$out"
  passed=$((passed + $(grep -c '^PASS ' <<<"$out")))
  failed=$((failed + $(grep -c '^FAIL ' <<<"$out")))
}

finish() {
  local cache
  cache=$(dotnet nuget locals global-packages --list 2>/dev/null | sed -n 's/^global-packages: *//p')
  for id in $(ls "$feed" 2>/dev/null | sed -n "s/\.$version\.nupkg$//p"); do
    local dir="$cache/$(tr '[:upper:]' '[:lower:]' <<<"$id")"
    [ -n "$cache" ] && rm -rf "${dir:?}/$version" && rmdir --ignore-fail-on-non-empty "$dir"
  done
  rm -rf "$work"
  [ "${CONSUMER_KEEP_OUTPUT:-0}" = 1 ] || rm -rf "$here/bin" "$here/obj"
  echo "== $(date -u +%T) done"
  echo "consumer: ${passed} passed, ${failed} failed"
  [ "$failed" -eq 0 ] && [ "$passed" -eq 5 ]
}

build_fail() {
  echo "FAIL $1"
  failed=$((failed + 1))
  finish
  exit 1
}

echo "== $(date -u +%T) packing the libraries ($version) into $feed"
rm -rf "$feed"
mkdir -p "$feed"
for project in $(cd "$repo" && git ls-files 'src/*.csproj'); do
  dotnet pack "$repo/$project" -c Release -o "$feed" -p:Version="$version" -nologo -v:q || build_fail "pack $project"
done
ls "$feed"

props=(-c Release -nologo -v:q -p:ExtensionsFeed="$feed" -p:ExtensionsPackageVersion="$version" -p:TorchSharpVersion="$torchsharp_version")
echo "== $(date -u +%T) building the consumer from the packages + TorchSharp-cpu"
dotnet build "$here/PackageConsumer.csproj" "${props[@]}" || build_fail "build consumer"
app="$here/bin/cpu/Release/net10.0/PackageConsumer.dll"
count "$(dotnet "$app" train "$repo/test/TestData" "$work")"
count "$(dotnet "$app" score "$work")"   # a fresh process: nothing of the training process is left

echo "== $(date -u +%T) building the consumer again without a TorchSharp backend"
dotnet build "$here/PackageConsumer.csproj" "${props[@]}" -p:WithoutTorchSharpBackend=true || build_fail "build consumer without backend"
# An empty NuGet cache, as on a machine the app is deployed to: otherwise TorchSharp's fallback copies libtorch
# out of a developer's NuGet cache (about 1 GB) and may load it, hiding the missing reference.
mkdir -p "$work/empty-nuget-cache"
count "$(NUGET_PACKAGES="$work/empty-nuget-cache" dotnet "$here/bin/no-backend/Release/net10.0/PackageConsumer.dll" no-backend)"
finish
