# SPDX-License-Identifier: GPL-2.0
#
# Hardening tests (Documentation/hardening.rst), included from
# tests/vm/CMakeLists.txt: fault injection, races, rmmod under load, the
# security properties of the UAPI, and a short run of the UAPI fuzzer
# (tests/fuzz/). They run in the normal suite; fault-failslab skips (exit
# 4) on a kernel without failslab (Debian's) and runs on the debug kernel
# (tools/debug-kernel/test.sh).

iub_vm_program(fault-failslab fault-failslab.c)
iub_vm_program(fault-route fault-route.c)
iub_vm_program(fault-race fault-race.c)
iub_vm_program(fault-isolation fault-isolation.c)
iub_vm_program(iub-fuzz ${CMAKE_SOURCE_DIR}/tests/fuzz/iub-fuzz.c)
iub_vm_program(teardown-stress teardown-stress.c)

# every allocation of attach, transfer, route and NOP fails in turn: ENOMEM
iub_vm_test(NAME fault-failslab TIMEOUT 600
  COMMAND ${IUB_GUEST_BUILD}/tests/vm/fault-failslab)
# routes with a stall or a DMA error at each stage, ended every way
iub_vm_test(NAME fault-route TIMEOUT 300
  COMMAND ${IUB_GUEST_BUILD}/tests/vm/fault-route)
# detach, close, cancel and claim racing from several threads
iub_vm_test(NAME fault-race TIMEOUT 300
  COMMAND ${IUB_GUEST_BUILD}/tests/vm/fault-race)
# handles and ports are per open file; limits; nothing leaks to userspace
iub_vm_test(NAME fault-isolation TIMEOUT 120
  COMMAND ${IUB_GUEST_BUILD}/tests/vm/fault-isolation)
# rmmod of every module while in use; unload right after the user goes
iub_vm_test(NAME fault-rmmod TIMEOUT 300
  COMMAND sh ${IUB_GUEST_SRC}/tests/vm/fault-rmmod.sh)
# the UAPI fuzzer, 60 s (IUB_FUZZ_SECONDS), converter and USB ports
iub_vm_test(NAME fault-fuzz TIMEOUT 400
  COMMAND sh ${IUB_GUEST_SRC}/tests/vm/fault-fuzz.sh)
# the converters' driver unloads mid-stream: ESHUTDOWN, absent, back again
iub_vm_test(NAME fault-unplug TIMEOUT 120
  COMMAND sh ${IUB_GUEST_SRC}/tests/vm/fault-unplug.sh)
# a PORT_CANCEL queued behind the removal's own cancel: the channel is
# given back only after it (sim sync_delay_ms holds the window open)
iub_vm_program(cancel-unplug cancel-unplug.c)
iub_vm_test(NAME cancel-unplug TIMEOUT 120
  COMMAND ${IUB_GUEST_BUILD}/tests/vm/cancel-unplug)
# what outlives a file, a port or a user: fences, late CQEs, lost cancels,
# issue that must not wait (Documentation/hardening.rst, the unload policy)
iub_vm_program(lifetime lifetime.c)
iub_vm_program(lifetime-helper lifetime-helper.c)
iub_vm_test(NAME lifetime TIMEOUT 180
  COMMAND ${IUB_GUEST_BUILD}/tests/vm/lifetime)
iub_vm_test(NAME lifetime-unload TIMEOUT 240
  COMMAND sh ${IUB_GUEST_SRC}/tests/vm/lifetime.sh)
# sessions on every kind of port ended every way while UDCs unbind, functions
# and modules go; 100 s (IUB_STRESS_SECONDS, seed IUB_STRESS_SEED), then
# DMABUFs, module refcounts and the bridge's slab objects back to baseline
iub_vm_test(NAME teardown-stress TIMEOUT 480
  COMMAND ${IUB_GUEST_BUILD}/tests/vm/teardown-stress)
