/* notify.h - telling the service manager how the worker is (sd_notify(3))
 *
 * Under a unit of Type=notify, systemd passes $NOTIFY_SOCKET; the worker
 * sends READY=1 once it watches its Maildirs, STATUS=... after each batch
 * and on each change of the database's state (shown by `systemctl
 * status`), WATCHDOG=1 every half $WATCHDOG_USEC, and STOPPING=1 when a
 * signal asks it to stop.  Outside systemd every call does nothing.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * notify_send:
 * @state: newline-separated assignments ("READY=1\nSTATUS=watching").
 * Sends one datagram to $NOTIFY_SOCKET (a path, or "@name" in the abstract
 * namespace).  Returns: TRUE when sent; FALSE when there is no socket or
 * the send failed (a service manager that went away is not an error of
 * the worker's, so nothing is logged).
 */
gboolean notify_send (const char *state);

/* notify_send() with a STATUS= line made from @format. */
gboolean notify_status (const char *format, ...) G_GNUC_PRINTF (1, 2);

/**
 * notify_watchdog_usec:
 * The watchdog interval systemd expects pings within ($WATCHDOG_USEC, when
 * $WATCHDOG_PID is unset or names this process), or 0 when there is none.
 */
guint64 notify_watchdog_usec (void);

G_END_DECLS
