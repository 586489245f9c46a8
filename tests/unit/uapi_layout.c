// SPDX-License-Identifier: GPL-2.0
/*
 * unit/uapi-layout: the compile-time layout checks of uapi_layout.h on the
 * build machine (x86_64, with sanitizers), and the layout printed for the
 * record. uapi_layout_cxx.cc builds this file as C++; the i386 and arm64
 * checks are compile-only (tests/unit/CMakeLists.txt).
 */
#include <stdio.h>

#include "uapi_layout.h"

int main(void)
{
	printf("ok - UAPI layout (%zu-bit %s): query %zu, features %zu, nop %zu, "
	       "transfer %zu, port_info %zu\n",
	       sizeof(void *) * 8,
#ifdef __cplusplus
	       "C++",
#else
	       "C",
#endif
	       sizeof(struct iub_query), sizeof(struct iub_features),
	       sizeof(struct iub_nop), sizeof(struct iub_transfer),
	       sizeof(struct iub_port_info));
	printf("ok - GET_FEATURES 0x%08lx NOP 0x%08lx\n",
	       (unsigned long)IUB_IOC_GET_FEATURES, (unsigned long)IUB_IOC_NOP);
	return 0;
}
