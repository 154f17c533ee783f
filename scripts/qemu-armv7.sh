#!/bin/sh
# qemu-arm as the armv7 build's test emulator (scripts/toolchain-armv7.cmake): a Cortex-A15 (NEON,
# VFPv4) unless QEMU_CPU names another CPU. qemu reads QEMU_CPU itself, but a -cpu option wins over
# it, so the default has to be chosen here rather than written into the emulator command.
exec qemu-arm -cpu "${QEMU_CPU:-cortex-a15}" "$@"
