#!/usr/bin/env bash
# Packs binaries built here for a device run: the binaries plus a lib/ folder with every shared library they need
# that a CUDA image may lack (everything outside glibc, libstdc++/libgcc and the CUDA driver/toolkit), as one
# bins.tar.xz small enough for the device tool's carry limit.
# Usage: tools/gpu/pack-bins.sh OUT_DIR BINARY...
set -euo pipefail
out_dir=$1; shift
stage=$(mktemp -d)
mkdir -p "$stage/lib" "$out_dir"
for binary in "$@"; do
  cp "$binary" "$stage/"
  ldd "$binary" | awk '/=> \// {print $3}' | while read -r lib; do
    case "$(basename "$lib")" in
      libc.so*|libm.so*|libdl.so*|libpthread.so*|librt.so*|ld-linux*|libstdc++.so*|libgcc_s.so*|libcuda.so*) ;;
      libcudart*|libcublas*|libcublasLt*|libnvidia*|libnccl*|libnvrtc*|libnvJitLink*) ;;
      *) cp -L "$lib" "$stage/lib/" ;;
    esac
  done
done
strip --strip-debug "$stage"/* 2>/dev/null || true
tar -C "$stage" -cJf "$out_dir/bins.tar.xz" .
rm -rf "$stage"
ls -la "$out_dir/bins.tar.xz"
