# SPDX-License-Identifier: GPL-2.0
#
# In-VM tests of the simulated SG UDC (sim/udc, Documentation/sim-udc.rst).
# Included from tests/vm/CMakeLists.txt. The module is built with sim/
# (sim/Kbuild) and is not in tests/vm/modules.list: each test loads what it
# needs and unloads what it loaded (tests/vm/udc-lib.sh).

iub_vm_program(udc-ffs udc-ffs.c)

# f_sourcesink enumerated at super and high speed, data both ways, rate,
# pause, unbind with requests in flight, rmmod.
iub_vm_test(NAME udc-sourcesink TIMEOUT 120
  COMMAND sh ${IUB_GUEST_SRC}/tests/vm/udc-sourcesink.sh)
# FunctionFS DMABUF (the upstream baseline) verified by the fixture, plain
# FunctionFS I/O, short packets, ZLP, dequeue, unbind in flight; EPERM on
# dummy_hcd.
iub_vm_test(NAME udc-ffs TIMEOUT 300
  COMMAND sh ${IUB_GUEST_SRC}/tests/vm/udc-ffs.sh)
# The host disconnects and comes back mid-stream; rmmod mid-stream.
iub_vm_test(NAME udc-disconnect TIMEOUT 120
  COMMAND sh ${IUB_GUEST_SRC}/tests/vm/udc-disconnect.sh)
