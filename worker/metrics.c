/* metrics.c - the OpenMetrics text exposition of the worker
 *
 * OpenMetrics 1.0 text format: for each family a "# TYPE", "# UNIT" where
 * the name carries one, and "# HELP" line, then its samples; counters'
 * samples end in _total, histograms' in _bucket (cumulative, le ending with
 * +Inf), _sum and _count; label values are escaped (\\ \" \n); the
 * exposition ends with "# EOF".  Families and label values come in a fixed
 * order, so that two files differ only where the figures do.
 */
#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const double batch_bounds[METRICS_N_BATCH_BUCKETS] = METRICS_BATCH_BUCKETS;

guint
metrics_bucket_of (double seconds)
{
  for (guint i = 0; i < METRICS_N_BATCH_BUCKETS; i++)
    if (seconds <= batch_bounds[i])
      return i;
  return METRICS_N_BATCH_BUCKETS;
}

static void
append_label_value (GString *out, const char *value)
{
  g_string_append_c (out, '"');
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '\\' || *p == '"')
        g_string_append_c (out, '\\');
      if (*p == '\n')
        {
          g_string_append (out, "\\n");
          continue;
        }
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

/* A number in the exposition: integers as such, others in the C locale. */
static void
append_number (GString *out, double value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  if (value == (double) (gint64) value && value < 1e15 && value > -1e15)
    g_string_append_printf (out, "%" G_GINT64_FORMAT, (gint64) value);
  else
    g_string_append (out, g_ascii_dtostr (buffer, sizeof buffer, value));
}

static void
family (GString *out, const char *name, const char *type, const char *unit, const char *help)
{
  g_string_append_printf (out, "# TYPE %s %s\n", name, type);
  if (unit != NULL)
    g_string_append_printf (out, "# UNIT %s %s\n", name, unit);
  g_string_append_printf (out, "# HELP %s %s\n", name, help);
}

static void
sample (GString *out, const char *name, const char *label, const char *value_of_label,
        double value)
{
  g_string_append (out, name);
  if (label != NULL)
    {
      g_string_append_printf (out, "{%s=", label);
      append_label_value (out, value_of_label);
      g_string_append_c (out, '}');
    }
  g_string_append_c (out, ' ');
  append_number (out, value);
  g_string_append_c (out, '\n');
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

void
metrics_render (GString *out, const MetricsSnapshot *s)
{
  family (out, "bounced_messages", "counter", NULL,
          "Messages stored and acknowledged, by kind.");
  for (int k = 0; k <= BOUNCE_KIND_ERROR; k++)
    sample (out, "bounced_messages_total", "kind", bounce_kind_to_string ((BounceKind) k),
            (double) s->by_kind[k]);

  family (out, "bounced_outcomes", "counter", NULL,
          "Recipient outcomes stored, by reason group (bounced-reasons(7)).");
  if (s->groups != NULL)
    {
      g_autoptr(GPtrArray) names = g_ptr_array_new ();
      GHashTableIter iter;
      gpointer key;

      g_hash_table_iter_init (&iter, s->groups);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        g_ptr_array_add (names, key);
      g_ptr_array_sort (names, compare_strings);
      for (guint i = 0; i < names->len; i++)
        sample (out, "bounced_outcomes_total", "group", g_ptr_array_index (names, i),
                GPOINTER_TO_UINT (g_hash_table_lookup (s->groups,
                                                       g_ptr_array_index (names, i))));
    }

  family (out, "bounced_failures", "counter", NULL,
          "Messages that failed: parse (could not be parsed; in the failed folder, with "
          "its row), acknowledge (committed, not moved; stored again later, a no-op).");
  sample (out, "bounced_failures_total", "stage", "parse", (double) s->parse_failures);
  sample (out, "bounced_failures_total", "stage", "acknowledge", (double) s->ack_failures);

  family (out, "bounced_batch_duration_seconds", "histogram", "seconds",
          "Time from claiming a batch to acknowledging it.");
  {
    guint64 cumulative = 0;

    for (guint i = 0; i <= METRICS_N_BATCH_BUCKETS; i++)
      {
        char bound[G_ASCII_DTOSTR_BUF_SIZE];

        cumulative += s->buckets[i];
        if (i < METRICS_N_BATCH_BUCKETS)
          g_ascii_formatd (bound, sizeof bound, "%g", batch_bounds[i]);
        else
          g_strlcpy (bound, "+Inf", sizeof bound);
        sample (out, "bounced_batch_duration_seconds_bucket", "le", bound, (double) cumulative);
      }
    sample (out, "bounced_batch_duration_seconds_sum", NULL, NULL, s->batch_seconds_sum);
    sample (out, "bounced_batch_duration_seconds_count", NULL, NULL, (double) s->batches);
  }

  family (out, "bounced_backlog_messages", "gauge", "messages",
          "Messages waiting in the Maildir (new/ and the unflagged ones of cur/).");
  for (guint i = 0; s->maildirs != NULL && s->maildirs[i] != NULL; i++)
    if (s->backlog[i] >= 0)
      sample (out, "bounced_backlog_messages", "maildir", s->maildirs[i],
              (double) s->backlog[i]);

  family (out, "bounced_database_retries", "counter", NULL,
          "Database attempts that failed (unreachable, restarting) and were retried.");
  sample (out, "bounced_database_retries_total", NULL, NULL, (double) s->db_retries);

  family (out, "bounced_last_success_timestamp_seconds", "gauge", "seconds",
          "When the worker last reached the database (a batch committed, or a pass "
          "that found nothing), as Unix time; 0 for never.");
  sample (out, "bounced_last_success_timestamp_seconds", NULL, NULL, s->last_success);

  g_string_append (out, "# EOF\n");
}

gboolean
metrics_write_file (const char *path, const MetricsSnapshot *snapshot, GError **error_out)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *tmp = g_strdup_printf ("%s.tmp.%d", path, (int) getpid ());
  gsize done = 0;
  int fd, e = 0;

  metrics_render (text, snapshot);
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0)
    {
      e = errno;
      g_set_error (error_out, G_FILE_ERROR, g_file_error_from_errno (e),
                   "could not write metrics file \"%s\": %s", tmp, g_strerror (e));
      return FALSE;
    }
  while (done < text->len)
    {
      ssize_t n = write (fd, text->str + done, text->len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          e = errno;
          break;
        }
      done += (gsize) n;
    }
  if (e == 0 && fchmod (fd, 0644) != 0)
    e = errno;
  if (e == 0 && fsync (fd) != 0)
    e = errno;
  if (close (fd) != 0 && e == 0)
    e = errno;
  if (e == 0 && rename (tmp, path) != 0)
    e = errno;
  if (e != 0)
    {
      unlink (tmp);
      g_set_error (error_out, G_FILE_ERROR, g_file_error_from_errno (e),
                   "could not write metrics file \"%s\": %s", path, g_strerror (e));
      return FALSE;
    }
  return TRUE;
}
