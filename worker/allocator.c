/* allocator.c - the malloc bounced runs on (meson -Dallocator)
 *
 * glibc's malloc, mimalloc or jemalloc, chosen at build time: linking
 * libmimalloc.so or libjemalloc.so replaces malloc() and free() for the
 * whole process (GLib and GMime included), so a parse's thousand
 * allocations a message cost what that allocator makes them cost.  The
 * measurement behind the default is in README ("Building").  This module
 * only names the allocator (`bounced --version`); calling into the library
 * also keeps the linker from dropping it as unneeded (--as-needed).
 */
#include "allocator.h"

#include <glib.h>
#include <stdio.h>

#if defined(BOUNCED_ALLOCATOR_MIMALLOC)
#include <mimalloc.h>
#elif defined(BOUNCED_ALLOCATOR_JEMALLOC)
#include <jemalloc/jemalloc.h>
#endif

const char *
allocator_describe (void)
{
  static char text[64];

#if defined(BOUNCED_ALLOCATOR_MIMALLOC)
  int v = mi_version ();

  snprintf (text, sizeof text, "mimalloc %d.%d.%d", v / 100, v / 10 % 10, v % 10);
#elif defined(BOUNCED_ALLOCATOR_JEMALLOC)
  const char *v = NULL;
  size_t len = sizeof v;

  if (mallctl ("version", &v, &len, NULL, 0) != 0 || v == NULL)
    v = "?";
  snprintf (text, sizeof text, "jemalloc %.40s", v);
#else
  snprintf (text, sizeof text, "glibc");
#endif
  return text;
}
