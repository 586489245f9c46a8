# SPDX-License-Identifier: GPL-2.0
#
# CMake toolchain file: userspace for arm64 with Debian's cross compiler
# (gcc-aarch64-linux-gnu) and the arm64 libraries that dpkg multiarch
# installs under /usr/lib/aarch64-linux-gnu (liburing-dev:arm64,
# libusb-1.0-0-dev:arm64: tools/setup.sh). The arm64 lane's build,
# <build>/arm64, is configured with it (Documentation/testing.rst), and so
# is a packager's arm64 build (preset release-arm64, Documentation/install.rst).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# Programs from the build machine, libraries and headers for the target only.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)

# pkg-config: the arm64 .pc files only
set(ENV{PKG_CONFIG_LIBDIR}
  "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# Tests of a cross build run through qemu-user (package qemu-user): the
# target's loader and libraries are the cross toolchain's in
# /usr/aarch64-linux-gnu (libasan among them) and, through the loader's
# default paths, dpkg multiarch's (liburing, libusb). LeakSanitizer does not
# work under QEMU's user mode; the other sanitizers do. (ASan reads its
# options from the host's environment of QEMU, not from qemu -E.)
find_program(IUB_QEMU_AARCH64 qemu-aarch64)
if(IUB_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR env ASAN_OPTIONS=detect_leaks=0
    ${IUB_QEMU_AARCH64} -L /usr/aarch64-linux-gnu)
endif()
