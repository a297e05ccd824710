/* pq-autoptr.h - g_autoptr() for libpq's types
 *
 * libpq ships no GLib cleanup definitions (STYLE.md 7).  Included by
 * the files of the store module only (store-private.h): libpq memory
 * never leaves it.
 */
#pragma once

#include <glib.h>
#include <libpq-fe.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGconn, PQfinish)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGresult, PQclear)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PQconninfoOption, PQconninfoFree)
