#!/usr/bin/env bash
# Installs Debian's ffmpeg (ffmpeg + ffprobe) for the video tests (§15: frames, filmstrip, extend,
# stitch; §10 posters). Like the Chromium of scripts/e2e.sh it comes from Debian's archive, never a
# downloaded build; pinned to the 5.1 series (bookworm's) as far as apt allows — the patch level
# follows Debian's security updates. Idempotent: nothing happens when both are already on PATH.
set -euo pipefail
FFMPEG_SERIES="${FFMPEG_SERIES:-7:5.1.*}"
if command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null; then
  echo "ffmpeg: $(command -v ffmpeg) ($(ffmpeg -version | head -n1))"
  exit 0
fi
echo "installing Debian's ffmpeg $FFMPEG_SERIES"
if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
$sudo apt-get update -qq
if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "ffmpeg=$FFMPEG_SERIES" >/dev/null; then
  # Another Debian release carries another series: take its ffmpeg rather than none.
  echo "ffmpeg $FFMPEG_SERIES is not in this archive; installing the archive's own ffmpeg"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null
fi
echo "ffmpeg: $(command -v ffmpeg) ($(ffmpeg -version | head -n1))"
