/* allocator.h - the malloc bounced runs on (see allocator.c) */
#pragma once

/* The allocator this build links, with its version ("mimalloc 2.0.9",
 * "jemalloc 5.3.0-0-g...", "glibc"): a static string. */
const char *allocator_describe (void);
