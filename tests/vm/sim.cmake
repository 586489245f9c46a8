# SPDX-License-Identifier: GPL-2.0
#
# In-VM tests of the simulated board (sim/, Documentation/simulated-board.rst).
# Included from tests/vm/CMakeLists.txt; the board is loaded in the guest by
# the sim/iub-sim-load.sh line of tests/vm/modules.list.

# The board's modules: sim/Makefile builds the upstream IIO DMA buffer
# modules into the cache (sim/build-upstream-iio-dma.sh), then sim/ with
# Kbuild (W=1), including the test fixture sim/tests/iub_sim_dmatest.ko.
if(NOT TARGET sim-modules AND NOT IUB_ARM64)
  add_custom_target(sim-modules ALL
    COMMAND make -s -C ${CMAKE_SOURCE_DIR}/sim KDIR=${KDIR}
    COMMENT "Kbuild: sim/ (simulated board) and the upstream IIO DMA buffer modules"
    USES_TERMINAL)
endif()

iub_vm_program(sim-dmatest sim-dmatest.c)
iub_vm_program(sim-adc-read sim-adc-read.c)
iub_vm_program(sim-adc-dmabuf sim-adc-dmabuf.c)
# kselftest_harness.h's TEST_F() sets a local that gcc's -Wextra thinks
# longjmp() may clobber (the harness's own code, not ours).
target_compile_options(sim-adc-read PRIVATE -Wno-clobbered)
target_compile_options(sim-adc-dmabuf PRIVATE -Wno-clobbered)

# dmaengine consumer fixture: slave_sg, dma_vec, cyclic, residue, order,
# injected errors, stall, delay, terminate; DAC verification; ADC rate.
iub_vm_test(NAME sim-dmatest TIMEOUT 300
  COMMAND ${IUB_GUEST_BUILD}/tests/vm/sim-dmatest)
# iio_info lists the simulated ADCs and DAC with their channels.
iub_vm_test(NAME sim-iio-info
  COMMAND sh ${IUB_GUEST_SRC}/tests/vm/sim-iio-info.sh)
# read() on the IIO DMA buffer ADC: 64 MiB verified, pacing, gap detection.
iub_vm_test(NAME sim-adc-read TIMEOUT 300
  COMMAND ${IUB_GUEST_BUILD}/tests/vm/sim-adc-read)
# iio_readdev on the same ADC: 32 MiB verified.
iub_vm_test(NAME sim-iio-readdev TIMEOUT 300
  COMMAND sh ${IUB_GUEST_SRC}/tests/vm/sim-iio-readdev.sh)
# IIO DMABUF attach/enqueue/poll/detach with udmabuf and dma-heap buffers.
iub_vm_test(NAME sim-adc-dmabuf TIMEOUT 300
  COMMAND ${IUB_GUEST_BUILD}/tests/vm/sim-adc-dmabuf)
# iub_sim_dma with the board's axi-dmac constraints (DMA mask, bus width,
# maximum segment): prep refuses what the hardware could not move, and
# debugfs "refused" counts it; the board reloaded with other parameters.
iub_vm_test(NAME sim-strict TIMEOUT 300
  COMMAND sh ${IUB_GUEST_SRC}/tests/vm/sim-strict.sh)
# The simulated ADC in real-time mode against the bridge's gap counters:
# a deep stream drops nothing, a starved one drops what its gaps say.
iub_vm_program(overrun overrun.c)
iub_vm_test(NAME overrun BOUNCE TIMEOUT 300
  COMMAND ${IUB_GUEST_BUILD}/tests/vm/overrun)
# The board unloads cleanly and loads again (keep it last).
iub_vm_test(NAME sim-unload
  COMMAND sh ${IUB_GUEST_SRC}/tests/vm/sim-unload.sh)
