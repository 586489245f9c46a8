#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# sim-iio-readdev: Debian's iio_readdev (libiio-utils) captures 32 MiB from
# the simulated ADC on the IIO DMA buffer; the data verifies against the
# stream format.
set -u
[ -x "/host${IUB_GUEST_HOSTBIN:-/usr/bin/}iio_readdev" ] ||
	{ echo "1..0 # SKIP iio_readdev not installed on the host (libiio-utils)"; exit 4; }

# 4 Mi scans of two 32-bit channels: 32 MiB.
TMPDIR=/run chroot /host "${IUB_GUEST_HOSTBIN:-}iio_readdev" -b 262144 -s 4194304 iub-sim-adc-dmabuf voltage0 voltage1 |
	"$IUB_GUEST_BUILD/tests/vm/sim-adc-read" --verify-stdin 33554432
