/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kselftest harness, with a longer time limit per test case: its 30 s
 * default is too short for the larger cases under TCG on a debug kernel
 * (KASAN, lockdep). Each test program's own limit (tests/vm/CMakeLists.txt,
 * multiplied on the debug kernel) still bounds the whole program.
 */
#ifndef _IUB_HARNESS_H
#define _IUB_HARNESS_H

#include "kselftest_harness.h"

#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300

#endif /* _IUB_HARNESS_H */
