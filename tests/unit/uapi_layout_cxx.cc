// SPDX-License-Identifier: GPL-2.0
/* uapi_layout.c compiled as C++: the header must be valid C++ too. */
#include "uapi_layout.c"
