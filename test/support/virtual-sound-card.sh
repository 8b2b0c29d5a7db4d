#!/usr/bin/env bash
# A virtual sound card for tests and CI, on machines without audio hardware: a PulseAudio
# user daemon with two null sinks, "speaker" (the default output) and "micfeed", and a
# source "mic" over micfeed's monitor (the default input). Play a WAV into the microphone
# with `paplay --device=micfeed file.wav`; hear what was played on `speaker.monitor`.
#
#   bash test/support/virtual-sound-card.sh start    # idempotent; prints the PULSE_SERVER to use
#   bash test/support/virtual-sound-card.sh stop
#
# Needs the Debian packages pulseaudio, pulseaudio-utils, sox and libsox-fmt-pulse (or -all).
set -euo pipefail
# Only the VAR=value line goes to stdout (it is eval'ed); everything else goes to stderr.
exec 3>&1 1>&2

runtime="${ASSISTANT_PULSE_DIR:-/tmp/assistant-pulse}"
socket="$runtime/native"
export PULSE_SERVER="unix:$socket"

running() { pactl info >/dev/null 2>&1; }

case "${1:-start}" in
  start)
    if running; then echo "PULSE_SERVER=$PULSE_SERVER" >&3; exit 0; fi
    command -v pulseaudio >/dev/null || { echo "pulseaudio is not installed (apt install pulseaudio pulseaudio-utils)" >&2; exit 1; }
    mkdir -p "$runtime"
    chmod 700 "$runtime"
    cat > "$runtime/default.pa" <<PA
load-module module-native-protocol-unix auth-anonymous=1 socket=$socket
load-module module-null-sink sink_name=speaker sink_properties=device.description=speaker
load-module module-null-sink sink_name=micfeed sink_properties=device.description=micfeed
load-module module-remap-source source_name=mic master=micfeed.monitor source_properties=device.description=mic
set-default-sink speaker
set-default-source mic
PA
    HOME="$runtime" XDG_RUNTIME_DIR="$runtime" XDG_CONFIG_HOME="$runtime" \
      pulseaudio -n -F "$runtime/default.pa" --daemonize=yes --exit-idle-time=-1 --use-pid-file=yes \
      --log-target="file:$runtime/pulseaudio.log" 2>/dev/null 3>&-
    for _ in $(seq 1 50); do running && break; sleep 0.1; done
    running || { echo "PulseAudio did not start; see $runtime/pulseaudio.log" >&2; exit 1; }
    # Without a steady stream into each null sink, recordings gain or lose silence unpredictably.
    for sink in speaker micfeed; do
      # 3>&-: a daemon holding the captured stdout open would make $(...) wait for ever.
      nohup pacat --playback --raw -d "$sink" --latency-msec=20 /dev/zero >/dev/null 2>&1 3>&- &
      echo $! >> "$runtime/keepalive.pids"
    done
    # The first capture after start is unreliable: do a short one now.
    AUDIODRIVER=pulseaudio timeout 5 sox -q -t pulseaudio mic -n trim 0 0.1 || true
    echo "PULSE_SERVER=$PULSE_SERVER" >&3
    ;;
  stop)
    if [ -f "$runtime/keepalive.pids" ]; then xargs -r kill < "$runtime/keepalive.pids" 2>/dev/null || true; rm -f "$runtime/keepalive.pids"; fi
    pactl exit 2>/dev/null || true
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
