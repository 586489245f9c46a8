# SPDX-License-Identifier: GPL-2.0
#
# In-VM tests of the host-side USB receiver, tools/usb-receiver/iub-usb-recv
# (Documentation/usb-receiver.rst). Included from tests/vm/CMakeLists.txt.
# The receiver is dynamically linked: the tests run it with `chroot /host`.
# Each test loads dummy_hcd, libcomposite and usb_f_ss_lb itself and unloads
# them again (tests/vm/receiver-lib.sh). Its unit test, unit/usb-recv, is in
# tools/usb-receiver/CMakeLists.txt.

# f_sourcesink on dummy_hcd (--any-bulk): receive and send, high and super
# speed, --device, --json, odd sizes, time limits, exit codes 1 and 3.
iub_vm_test(NAME receiver-sourcesink BOUNCE TIMEOUT 300
  COMMAND sh ${IUB_GUEST_SRC}/tests/vm/receiver-sourcesink.sh)
# The gadget unbound mid-stream, receiving and sending: exit 4, promptly.
iub_vm_test(NAME receiver-disconnect BOUNCE TIMEOUT 300
  COMMAND sh ${IUB_GUEST_SRC}/tests/vm/receiver-disconnect.sh)
# Real data with the bridge's function: --output, --input, --wait.
iub_vm_test(NAME receiver-files BOUNCE TIMEOUT 300
  COMMAND sh ${IUB_GUEST_SRC}/tests/vm/receiver-files.sh)
