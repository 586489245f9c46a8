# SPDX-License-Identifier: GPL-2.0
#
# In-VM tests of iub-iiod (tools/iiod-bridge, Documentation/iiod-bridge.rst)
# with Debian's unmodified libiio 0.24 clients on the host side. Included
# from tests/vm/CMakeLists.txt. The daemon and iiod-client link libiio
# dynamically: the tests run them, and iio_info/iio_readdev/iio_writedev,
# from the host's root with chroot (in the arm64 lane: the arm64 builds,
# with libiio0:arm64 of dpkg multiarch and the arm64 clients).
add_executable(iiod-client iiod-client.c)
target_link_libraries(iiod-client PRIVATE PkgConfig::LIBIIO)
# through dummy_hcd at high speed
iub_vm_test(NAME iiod-usb TIMEOUT 900
  COMMAND sh ${IUB_GUEST_SRC}/tests/vm/iiod-usb.sh)
# through dummy_hcd at super speed (1024-byte packets)
iub_vm_test(NAME iiod-usb-ss TIMEOUT 900
  COMMAND sh ${IUB_GUEST_SRC}/tests/vm/iiod-usb.sh is_super_speed=1)
# on the simulated SG UDC: no libiio client can run there (its host is
# simulated in the kernel); libiio's requests through its debugfs
iub_vm_test(NAME iiod-sg BOUNCE TIMEOUT 300
  COMMAND sh ${IUB_GUEST_SRC}/tests/vm/iiod-sg.sh)
