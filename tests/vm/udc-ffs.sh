#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# udc-ffs: FunctionFS (DMABUF and plain I/O) on the simulated SG UDC, and
# the DMABUF attach refused with EPERM on dummy_hcd (tests/vm/udc-ffs.c).
# Loads iub_sim_udc, usb_f_fs and dummy_hcd; unloads what it loaded.
set -u
# shellcheck source=tests/vm/udc-lib.sh
. "$IUB_GUEST_SRC/tests/vm/udc-lib.sh"
udc_begin
udc_load speed=super || fail "insmod iub_sim_udc"
modprobe usb_f_fs || fail "modprobe usb_f_fs"
modprobe dummy_hcd is_super_speed=1 || echo "# no dummy_hcd: its variant skips"
"$IUB_GUEST_BUILD/tests/vm/udc-ffs"
