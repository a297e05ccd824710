/* log.c - the worker's log lines
 *
 * GLib structured logging (G_LOG_USE_STRUCTURED): the batch line carries
 * its figures as journal fields, so that `journalctl -u bounced-watch@...
 * BATCH_FAILED=0 -o json` or a log shipper can read them without parsing
 * the text.  Lines without a MAILDIR field get the worker's Maildirs, so
 * that with several workers in one journal every line says whose it is.
 */
#include "log.h"
#include "cli.h"

#include <stdio.h>
#include <string.h>

static gboolean log_verbose;
static char *log_maildirs;   /* the worker's Maildirs, joined by ", " */

static const char *
field_value (const GLogField *fields, gsize n_fields, const char *key)
{
  for (gsize i = 0; i < n_fields; i++)
    if (strcmp (fields[i].key, key) == 0 && fields[i].length < 0)
      return fields[i].value;
  return NULL;
}

char *
log_format_line (GLogLevelFlags level, const GLogField *fields, gsize n_fields)
{
  const char *message = field_value (fields, n_fields, "MESSAGE");
  const char *maildir = field_value (fields, n_fields, "MAILDIR");
  const char *command = cli_command ();
  GString *line = g_string_new ("bounced");

  if (command != NULL)
    g_string_append_printf (line, " %s", command);
  g_string_append (line, ": ");
  if (maildir == NULL)
    maildir = log_maildirs;
  /* A message that names its Maildir already is not prefixed again. */
  if (maildir != NULL && (message == NULL || strstr (message, maildir) == NULL))
    g_string_append_printf (line, "%s: ", maildir);
  if ((level & G_LOG_LEVEL_WARNING) != 0)
    g_string_append (line, "warning: ");
  else if ((level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR)) != 0)
    g_string_append (line, "error: ");
  g_string_append (line, message ? message : "");
  return g_string_free (line, FALSE);
}

static GLogWriterOutput
log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  g_autofree char *line = NULL;

  if ((level & G_LOG_LEVEL_DEBUG) != 0)
    return g_log_writer_default (level, fields, n_fields, data);
  if ((level & G_LOG_LEVEL_INFO) != 0 && !log_verbose)
    return G_LOG_WRITER_HANDLED;
  if (g_log_writer_is_journald (fileno (stderr)))
    {
      g_autofree GLogField *all = g_new (GLogField, n_fields + 1);
      gsize n = n_fields;

      memcpy (all, fields, sizeof (GLogField) * n_fields);
      if (field_value (fields, n_fields, "MAILDIR") == NULL && log_maildirs != NULL)
        all[n++] = (GLogField) { "MAILDIR", log_maildirs, -1 };
      if (g_log_writer_journald (level, all, n, data) == G_LOG_WRITER_HANDLED)
        return G_LOG_WRITER_HANDLED;
    }
  line = log_format_line (level, fields, n_fields);
  fflush (stdout);
  fprintf (stderr, "%s\n", line);
  return G_LOG_WRITER_HANDLED;
}

void
log_configure (gboolean verbose, const char *const *maildirs)
{
  log_verbose = verbose;
  g_clear_pointer (&log_maildirs, g_free);
  if (maildirs != NULL && maildirs[0] != NULL)
    log_maildirs = g_strjoinv (", ", (char **) maildirs);
}

void
log_setup (gboolean verbose, const char *const *maildirs)
{
  static gboolean installed;

  log_configure (verbose, maildirs);
  if (!installed)
    g_log_set_writer_func (log_writer, NULL, NULL);
  installed = TRUE;
}

void
log_batch (const LogBatch *b)
{
  char messages[16], failed[16], seconds[32];

  g_snprintf (messages, sizeof messages, "%u", b->messages);
  g_snprintf (failed, sizeof failed, "%u", b->failed);
  g_ascii_formatd (seconds, sizeof seconds, "%.3f", b->seconds);
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_INFO,
                    "MAILDIR", b->maildir,
                    "BATCH_MESSAGES", messages,
                    "BATCH_FAILED", failed,
                    "BATCH_SECONDS", seconds,
                    "MESSAGE", "stored %u message%s (%u bounce%s, %u not bounce%s, %u "
                    "unparseable) in %.3f s, %.3f s of it in the database",
                    b->messages, b->messages == 1 ? "" : "s",
                    b->bounces, b->bounces == 1 ? "" : "s",
                    b->not_bounces, b->not_bounces == 1 ? "" : "s",
                    b->failed, b->seconds, b->db_seconds);
}
