/* pq-autoptr.h - g_autoptr() for libpq's types
 *
 * libpq ships no GLib cleanup definitions (STYLE.md 7).  Included by
 * worker/store.c only: libpq memory never leaves the store module.
 */
#pragma once

#include <glib.h>
#include <libpq-fe.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGconn, PQfinish)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGresult, PQclear)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PQconninfoOption, PQconninfoFree)
