// SPDX-License-Identifier: GPL-2.0
/*
 * Layout of every UAPI structure: sizes, offsets and the rule that every
 * argument block fits the 16 bytes of sqe->cmd. Built three times: as C
 * with sanitizers, as 32-bit C (-m32) and as C++; the layout must be the
 * same in all three, so the checks are compile-time and the program also
 * prints them for the record.
 */
#include <stddef.h>
#include <stdio.h>
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

CHECK_SIZE(iub_features, 24);
CHECK_SIZE(iub_features, IUB_FEATURES_SIZE_VER1);
CHECK_OFF(iub_features, uapi_version, 0);
CHECK_OFF(iub_features, size, 4);
CHECK_OFF(iub_features, features, 8);
CHECK_OFF(iub_features, max_inflight, 16);
CHECK_OFF(iub_features, reserved0, 20);

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

IUB_STATIC_ASSERT(_IOC_NR(IUB_IOC_GET_FEATURES) == 0);
IUB_STATIC_ASSERT(_IOC_NR(IUB_IOC_NOP) == 1);
IUB_STATIC_ASSERT((IUB_NOP_FLAGS & (IUB_NOP_ASYNC | IUB_NOP_PARK)) ==
		  IUB_NOP_FLAGS);

int main(void)
{
	printf("ok - UAPI layout (%zu-bit %s): query %zu, features %zu, nop %zu\n",
	       sizeof(void *) * 8,
#ifdef __cplusplus
	       "C++",
#else
	       "C",
#endif
	       sizeof(struct iub_query), sizeof(struct iub_features),
	       sizeof(struct iub_nop));
	printf("ok - GET_FEATURES 0x%08lx NOP 0x%08lx\n",
	       (unsigned long)IUB_IOC_GET_FEATURES, (unsigned long)IUB_IOC_NOP);
	return 0;
}
