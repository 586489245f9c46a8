/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Layout of every UAPI structure, checked at compile time: sizes, offsets,
 * command numbers and the rule that every argument block fits the 16 bytes
 * of sqe->cmd. Nothing here needs a C library: only <stddef.h> (offsetof,
 * freestanding) and the kernel UAPI headers, so the same checks compile for
 * any ABI without that ABI's libc (tests/unit/CMakeLists.txt):
 *
 *  - uapi_layout.c, x86_64 with sanitizers, also prints the layout;
 *  - uapi_layout_cxx.cc, the same as C++;
 *  - compile-only (-fsyntax-only) for i386 (-m32) and arm64: a 32-bit
 *    program is never run, the machine's kernel may not execute one.
 *
 * A compile-only target names the ABI it means to check (-DIUB_LAYOUT_ABI_*)
 * and the checks below prove the compiler really targets it.
 */
#ifndef IUB_TEST_UAPI_LAYOUT_H
#define IUB_TEST_UAPI_LAYOUT_H

#include <stddef.h>
#include <linux/iio_usb_bridge.h>

#ifdef __cplusplus
#define IUB_STATIC_ASSERT(e) static_assert(e, #e)
#else
#define IUB_STATIC_ASSERT(e) _Static_assert(e, #e)
#endif

#define CHECK_SIZE(type, size) IUB_STATIC_ASSERT(sizeof(struct type) == (size))
#define CHECK_OFF(type, field, off) \
	IUB_STATIC_ASSERT(offsetof(struct type, field) == (off))

CHECK_SIZE(iub_query, 16);
CHECK_OFF(iub_query, data, 0);
CHECK_OFF(iub_query, size, 8);
CHECK_OFF(iub_query, flags, 12);

CHECK_SIZE(iub_features, 32);
CHECK_SIZE(iub_features, IUB_FEATURES_SIZE_VER1);
CHECK_OFF(iub_features, uapi_version, 0);
CHECK_OFF(iub_features, size, 4);
CHECK_OFF(iub_features, features, 8);
CHECK_OFF(iub_features, max_inflight, 16);
CHECK_OFF(iub_features, max_buffers, 20);
CHECK_OFF(iub_features, nr_ports, 24);
CHECK_OFF(iub_features, reserved0, 28);

CHECK_SIZE(iub_buf_attach, 16);
CHECK_OFF(iub_buf_attach, fd, 0);
CHECK_OFF(iub_buf_attach, flags, 4);
CHECK_OFF(iub_buf_attach, reserved, 8);

CHECK_SIZE(iub_buf_detach, 16);
CHECK_OFF(iub_buf_detach, handle, 0);
CHECK_OFF(iub_buf_detach, flags, 4);
CHECK_OFF(iub_buf_detach, reserved, 8);

CHECK_SIZE(iub_port_claim, 16);
CHECK_OFF(iub_port_claim, port, 0);
CHECK_OFF(iub_port_claim, flags, 4);
CHECK_OFF(iub_port_claim, reserved, 8);

CHECK_SIZE(iub_transfer, 16);
CHECK_OFF(iub_transfer, handle, 0);
CHECK_OFF(iub_transfer, port, 2);
CHECK_OFF(iub_transfer, flags, 4);
CHECK_OFF(iub_transfer, offset, 8);
CHECK_OFF(iub_transfer, length, 12);

CHECK_SIZE(iub_route, 16);
CHECK_OFF(iub_route, handle, 0);
CHECK_OFF(iub_route, flags, 2);
CHECK_OFF(iub_route, from, 4);
CHECK_OFF(iub_route, to, 6);
CHECK_OFF(iub_route, offset, 8);
CHECK_OFF(iub_route, length, 12);
IUB_STATIC_ASSERT(IUB_ROUTE_INFO_STAGE(0x200000007ULL) == 2);
IUB_STATIC_ASSERT(IUB_ROUTE_INFO_BYTES(0x200000007ULL) == 7);

/* GET_PORTS entries: fixed forever at 96 bytes */
CHECK_SIZE(iub_port_info, 96);
CHECK_OFF(iub_port_info, name, 0);
CHECK_OFF(iub_port_info, id, 32);
CHECK_OFF(iub_port_info, kind, 36);
CHECK_OFF(iub_port_info, direction, 40);
CHECK_OFF(iub_port_info, flags, 44);
CHECK_OFF(iub_port_info, align, 48);
CHECK_OFF(iub_port_info, max_transfer, 52);
CHECK_OFF(iub_port_info, bytes, 56);
CHECK_OFF(iub_port_info, transfers, 64);
CHECK_OFF(iub_port_info, errors, 72);
CHECK_OFF(iub_port_info, gaps, 80);
CHECK_OFF(iub_port_info, gap_ns, 88);
IUB_STATIC_ASSERT(IUB_PORT_NAME_LEN == 32);

CHECK_SIZE(iub_nop, 16);
CHECK_OFF(iub_nop, flags, 0);
CHECK_OFF(iub_nop, value, 4);
CHECK_OFF(iub_nop, reserved, 8);

/* Every argument block is exactly IUB_CMD_SIZE_MAX bytes, as encoded. */
#define CHECK_CMD(op, type) \
	IUB_STATIC_ASSERT(_IOC_SIZE(op) == sizeof(struct type)); \
	IUB_STATIC_ASSERT(_IOC_SIZE(op) == IUB_CMD_SIZE_MAX); \
	IUB_STATIC_ASSERT(_IOC_TYPE(op) == IUB_IOC_MAGIC); \
	IUB_STATIC_ASSERT(_IOC_DIR(op) == _IOC_WRITE)

CHECK_CMD(IUB_IOC_GET_FEATURES, iub_query);
CHECK_CMD(IUB_IOC_NOP, iub_nop);
CHECK_CMD(IUB_IOC_BUF_ATTACH, iub_buf_attach);
CHECK_CMD(IUB_IOC_BUF_DETACH, iub_buf_detach);
CHECK_CMD(IUB_IOC_GET_PORTS, iub_query);
CHECK_CMD(IUB_IOC_PORT_CLAIM, iub_port_claim);
CHECK_CMD(IUB_IOC_PORT_RELEASE, iub_port_claim);
CHECK_CMD(IUB_IOC_PORT_CANCEL, iub_port_claim);
CHECK_CMD(IUB_IOC_TRANSFER, iub_transfer);
CHECK_CMD(IUB_IOC_ROUTE, iub_route);

/* command numbers are ABI: never renumbered (type: Documentation/uapi.rst) */
IUB_STATIC_ASSERT(IUB_IOC_MAGIC == 0xBD);
IUB_STATIC_ASSERT(_IOC_NR(IUB_IOC_GET_FEATURES) == 0);
IUB_STATIC_ASSERT(_IOC_NR(IUB_IOC_NOP) == 1);
IUB_STATIC_ASSERT(_IOC_NR(IUB_IOC_BUF_ATTACH) == 2);
IUB_STATIC_ASSERT(_IOC_NR(IUB_IOC_BUF_DETACH) == 3);
IUB_STATIC_ASSERT(_IOC_NR(IUB_IOC_GET_PORTS) == 4);
IUB_STATIC_ASSERT(_IOC_NR(IUB_IOC_PORT_CLAIM) == 5);
IUB_STATIC_ASSERT(_IOC_NR(IUB_IOC_PORT_RELEASE) == 6);
IUB_STATIC_ASSERT(_IOC_NR(IUB_IOC_PORT_CANCEL) == 7);
IUB_STATIC_ASSERT(_IOC_NR(IUB_IOC_TRANSFER) == 8);
IUB_STATIC_ASSERT(_IOC_NR(IUB_IOC_ROUTE) == 9);
IUB_STATIC_ASSERT((IUB_NOP_FLAGS & (IUB_NOP_ASYNC | IUB_NOP_PARK)) ==
		  IUB_NOP_FLAGS);

/*
 * The ABI a compile-only target asked for. On i386 a __u64 is only 4-byte
 * aligned inside a structure: exactly the difference that makes an
 * unpadded UAPI structure change size between 32- and 64-bit userspace.
 */
#ifdef IUB_LAYOUT_ABI_I386
#ifndef __i386__
#error "IUB_LAYOUT_ABI_I386: the compiler does not target i386"
#endif
struct iub_layout_i386_probe {
	__u32 a;
	__u64 b;
};

IUB_STATIC_ASSERT(sizeof(void *) == 4);
IUB_STATIC_ASSERT(offsetof(struct iub_layout_i386_probe, b) == 4);
#endif

#ifdef IUB_LAYOUT_ABI_ARM64
#ifndef __aarch64__
#error "IUB_LAYOUT_ABI_ARM64: the compiler does not target arm64"
#endif
IUB_STATIC_ASSERT(sizeof(void *) == 8);
#endif

#endif /* IUB_TEST_UAPI_LAYOUT_H */
