#!/usr/bin/env bash
# Assembles the build context of the two images from this host, so that no base image is pulled:
#   OUT/rootfs-base/   a minimal JRE made with jlink from the build JDK, the shared libraries it and
#                      Conscrypt's BoringSSL need (glibc, libz, libstdc++, libgcc_s, as `ldd` lists
#                      them), /etc/passwd with the unprivileged user fedsum (uid 10001), the
#                      application's jars without PyTorch's native jar;
#   OUT/rootfs-torch/  what the silo adds: PyTorch's native jar, its libraries unpacked once into a
#                      DJL cache (so the container never writes 450 MB at start), and the libraries
#                      libtorch needs beyond the base (libgomp ships in the jar).
# Usage: assemble-rootfs.sh APP_LIB_DIR OUT_DIR   (APP_LIB_DIR: the launcher's jars, flat)
set -euo pipefail

app_lib=$(cd "$1" && pwd)
out=$2
java_home=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}
# The modules the application needs (jdeps --print-module-deps over the launcher's jars), plus
# jdk.crypto.ec for TLS with ECDSA P-256 certificates and jdk.zipfs for reading jars.
modules=${FEDSUM_JLINK_MODULES:-java.base,java.compiler,java.desktop,java.logging,java.management,java.naming,java.net.http,java.sql,java.xml,jdk.crypto.ec,jdk.jfr,jdk.management,jdk.unsupported,jdk.zipfs}

say() { echo "assemble-rootfs: $*" >&2; }

rm -rf "$out"
base=$out/rootfs-base
torch=$out/rootfs-torch
mkdir -p "$base/opt/fedsum/lib" "$base/etc" "$base/tmp" "$base/data" "$base/kit" \
  "$base/home/fedsum" "$torch/opt/fedsum/lib"
chmod 1777 "$base/tmp"

say "jlink $modules"
"$java_home/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --output "$base/opt/fedsum/jre"

# Copies each shared library a file needs (and the loader) into ROOT at the same path, following
# symbolic links, unless it is already there.
copy_needed() {
  local root=$1; shift
  local lib
  for lib in $(ldd "$@" 2>/dev/null | awk '/=> \// {print $3} /^\s*\/lib/ {print $1}' | sort -u); do
    case "$lib" in
      "$base"/*|"$torch"/*|"$out"/*) continue ;;
    esac
    if [ ! -e "$base$lib" ] && [ ! -e "$root$lib" ]; then
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    fi
  done
  if ldd "$@" 2>/dev/null | grep -q 'not found'; then
    say "missing libraries: $(ldd "$@" 2>/dev/null | grep 'not found' | sort -u | tr -s ' \t' ' ')"
    exit 1
  fi
}

# Base: the JRE's own libraries (libawt_xawt needs X11 and is never loaded: java.awt.headless),
# and Conscrypt's BoringSSL (extracted from its jar only to ask ldd).
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
jre_libs=$(find "$base/opt/fedsum/jre" -name '*.so' ! -name 'libawt_xawt.so' ! -name 'libsplashscreen.so' \
  ! -name 'libjawt.so')
conscrypt_jar=$(ls "$app_lib"/conscrypt-openjdk-uber-*.jar 2>/dev/null | head -1 || true)
conscrypt_lib=
if [ -n "$conscrypt_jar" ]; then
  (cd "$scratch" && unzip -q -o "$conscrypt_jar" 'META-INF/native/libconscrypt_openjdk_jni-linux-x86_64.so')
  conscrypt_lib=$scratch/META-INF/native/libconscrypt_openjdk_jni-linux-x86_64.so
fi
# libsodium (X25519 through JNA) where the host has it; without it the nodes fall back to Bouncy
# Castle, which computes the same secrets at half the speed.
sodium_lib=$(ls /usr/lib/x86_64-linux-gnu/libsodium.so.23 2>/dev/null || true)
if [ -n "$sodium_lib" ]; then
  mkdir -p "$base$(dirname "$sodium_lib")"
  cp -L "$sodium_lib" "$base$sodium_lib"
fi
copy_needed "$base" "$base/opt/fedsum/jre/bin/java" $jre_libs $conscrypt_lib $sodium_lib
mkdir -p "$base/lib64"
[ -e "$base/lib64/ld-linux-x86-64.so.2" ] || cp -L /lib64/ld-linux-x86-64.so.2 "$base/lib64/"

for jar in "$app_lib"/*.jar; do
  case "$(basename "$jar")" in
    pytorch-native-*) cp "$jar" "$torch/opt/fedsum/lib/" ;;
    *) cp "$jar" "$base/opt/fedsum/lib/" ;;
  esac
done

cat >"$base/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
fedsum:x:10001:10001:FedSum:/home/fedsum:/sbin/nologin
PASSWD
cat >"$base/etc/group" <<'GROUP'
root:x:0:
fedsum:x:10001:
GROUP
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$base/etc/nsswitch.conf"
chown 10001:10001 "$base/data" "$base/home/fedsum"

# Torch: let DJL unpack its native libraries once, here, into the cache the silo image reads.
native_jar=$(ls "$torch"/opt/fedsum/lib/pytorch-native-*.jar 2>/dev/null | head -1 || true)
if [ -n "$native_jar" ]; then
  cache=$torch/opt/fedsum/djl-cache
  mkdir -p "$cache"
  cat >"$scratch/WarmDjl.java" <<'JAVA'
public class WarmDjl {
  public static void main(String[] args) {
    System.out.println(ai.djl.engine.Engine.getEngine("PyTorch").getVersion());
  }
}
JAVA
  say "unpacking PyTorch's native libraries into the DJL cache"
  DJL_CACHE_DIR=$cache ENGINE_CACHE_DIR=$cache OPT_OUT_TRACKING=true \
    "$java_home/bin/java" -Dai.djl.offline=true -cp "$app_lib/*" "$scratch/WarmDjl.java" >&2
  # DJL unpacks into private (0700) temporary folders: the container's user must read them.
  chmod -R a+rX "$cache"
  torch_libs=$(find "$cache" -name '*.so*' -type f)
  copy_needed "$torch" $torch_libs
fi
say "done: $(du -sh "$base" | cut -f1) base, $(du -sh "$torch" | cut -f1) torch"
