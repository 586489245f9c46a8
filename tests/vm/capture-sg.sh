#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# capture-sg: the prep_slave_sg path. The bridge is reloaded with dma_vec=0
# (the provider has both callbacks) and the capture test runs again, and
# the route whose second stage (DAC) is cut short after it was prepared.
set -u
params=$(sed -n 's/.*\(converters=[^ ]*\).*/\1/p' "$IUB_GUEST_SRC/tests/vm/modules.list")
rmmod usb_f_iio_usb_bridge iio_usb_bridge || exit 1
insmod "$IUB_GUEST_KMOD/driver/iio_usb_bridge.ko" "$params" dma_vec=0 || exit 1
IUB_EXPECT_PATH=sg "$IUB_GUEST_BUILD/tests/vm/capture"
rc=$?
"$IUB_GUEST_BUILD/tests/vm/route-errors" -r r.short_first_stage_passes_its_bytes_on || rc=1
# the harness reloads the bridge with the suite's parameters
rmmod iio_usb_bridge
exit $rc
