/* notify.c - the sd_notify(3) protocol, written out
 *
 * The protocol is one datagram of "KEY=value" lines sent to the AF_UNIX
 * socket named by $NOTIFY_SOCKET (a file system path, or an abstract name
 * written with a leading '@'); systemd documents it as a stable interface
 * that services may implement themselves (sd_notify(3), "Notes"; the
 * systemd "Interface Portability and Stability" page).  It is written here
 * in a few lines rather than linked from libsystemd: the whole of what the
 * worker needs is one sendto(), and linking libsystemd would add a library
 * to every run of every command (and libsystemd-dev to the build) for it.
 * File descriptor passing (FDSTORE), the one part that is not a few
 * lines, is not used.
 *
 * Invariant: nothing here fails the worker.  A missing or dead socket
 * means "not under a service manager", and the calls do nothing.
 */
#include "notify.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

gboolean
notify_send (const char *state)
{
  const char *path = g_getenv ("NOTIFY_SOCKET");
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  socklen_t addr_len;
  gsize len;
  ssize_t sent;
  int fd;

  g_return_val_if_fail (state != NULL, FALSE);
  if (path == NULL || (path[0] != '/' && path[0] != '@'))
    return FALSE;
  len = strlen (path);
  if (len >= sizeof addr.sun_path)
    return FALSE;
  memcpy (addr.sun_path, path, len);
  /* "@name": the abstract namespace, whose names start with a zero byte
   * and are not terminated. */
  if (path[0] == '@')
    addr.sun_path[0] = '\0';
  addr_len = (socklen_t) (G_STRUCT_OFFSET (struct sockaddr_un, sun_path) + len
                          + (path[0] == '/' ? 1 : 0));

  fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return FALSE;
  do
    sent = sendto (fd, state, strlen (state), MSG_NOSIGNAL, (struct sockaddr *) &addr,
                   addr_len);
  while (sent < 0 && errno == EINTR);
  close (fd);
  return sent == (ssize_t) strlen (state);
}

gboolean
notify_status (const char *format, ...)
{
  g_autofree char *text = NULL;
  g_autofree char *state = NULL;
  va_list args;

  if (g_getenv ("NOTIFY_SOCKET") == NULL)
    return FALSE;
  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  /* One line: a newline would start another assignment. */
  g_strdelimit (text, "\n", ' ');
  state = g_strconcat ("STATUS=", text, NULL);
  return notify_send (state);
}

guint64
notify_watchdog_usec (void)
{
  const char *usec = g_getenv ("WATCHDOG_USEC");
  const char *pid = g_getenv ("WATCHDOG_PID");
  guint64 value = 0;

  if (usec == NULL || !g_ascii_string_to_unsigned (usec, 10, 1, G_MAXUINT64, &value, NULL))
    return 0;
  if (pid != NULL)
    {
      guint64 p = 0;

      if (!g_ascii_string_to_unsigned (pid, 10, 1, G_MAXINT32, &p, NULL)
          || (pid_t) p != getpid ())
        return 0;
    }
  return value;
}
