/* progress.c - progress bar with rate and ETA, or periodic log lines
 *
 * The rate is the average since the start (done / elapsed): reprocessing
 * runs at a steady pace, and an average does not jump around the way a
 * windowed rate does.  The ETA is (total - done) / rate.
 *
 * Invariants:
 *  1. Output is throttled by time, never by count, so a fast run does not
 *     spend its time drawing and a slow one still shows life.
 *  2. The bar is redrawn with a carriage return and padded to the width of
 *     the previous draw; progress_finish() ends its line, so the next
 *     message starts on a fresh line.
 */
#include "progress.h"

#include <string.h>
#include <unistd.h>

struct _Progress {
  ProgressSettings settings;
  ProgressMode mode;       /* resolved: BAR, LOG or QUIET */
  gint64 start;
  gint64 last_output;
  guint64 done;
  gsize last_width;
  gboolean finished;
};

void
progress_settings_init (ProgressSettings *settings)
{
  settings->label = "progress";
  settings->total = 0;
  settings->mode = PROGRESS_MODE_AUTO;
  settings->stream = NULL;
  settings->clock = NULL;
}

static gint64
now (const Progress *p)
{
  return p->settings.clock ? p->settings.clock () : g_get_monotonic_time ();
}

Progress *
progress_new (const ProgressSettings *settings)
{
  Progress *p = g_new0 (Progress, 1);

  g_return_val_if_fail (settings != NULL, NULL);
  p->settings = *settings;
  if (p->settings.stream == NULL)
    p->settings.stream = stderr;
  if (p->settings.label == NULL)
    p->settings.label = "progress";
  p->mode = settings->mode;
  if (p->mode == PROGRESS_MODE_AUTO)
    p->mode = isatty (fileno (p->settings.stream)) ? PROGRESS_MODE_BAR : PROGRESS_MODE_LOG;
  p->start = now (p);
  p->last_output = p->start;
  return p;
}

char *
progress_format_duration (gint64 us)
{
  gint64 s = us <= 0 ? 0 : (us + G_TIME_SPAN_SECOND - 1) / G_TIME_SPAN_SECOND;

  if (s >= 3600)
    return g_strdup_printf ("%" G_GINT64_FORMAT ":%02d:%02d", s / 3600,
                            (int) (s / 60 % 60), (int) (s % 60));
  return g_strdup_printf ("%d:%02d", (int) (s / 60), (int) (s % 60));
}

char *
progress_format_line (const ProgressSettings *settings, ProgressMode mode,
                      guint64 done, gint64 elapsed_us)
{
  GString *s = g_string_new (NULL);
  double rate = elapsed_us > 0 ? (double) done * G_TIME_SPAN_SECOND / (double) elapsed_us : 0.0;
  guint64 total = settings->total;
  gboolean eta_known = total > 0 && rate > 0.0 && done <= total;
  gint64 eta_us = eta_known ? (gint64) ((double) (total - done) / rate * G_TIME_SPAN_SECOND) : 0;
  const char *label = settings->label ? settings->label : "progress";

  if (mode == PROGRESS_MODE_BAR)
    {
      g_string_append (s, label);
      if (total > 0)
        {
          guint filled = (guint) (MIN (done, total) * PROGRESS_BAR_WIDTH / total);

          g_string_append (s, " [");
          for (guint i = 0; i < PROGRESS_BAR_WIDTH; i++)
            g_string_append_c (s, i < filled ? '#' : '.');
          g_string_append_printf (s, "]  %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT "  %3u%%",
                                  done, total, (guint) (MIN (done, total) * 100 / total));
        }
      else
        g_string_append_printf (s, "  %" G_GUINT64_FORMAT, done);
      g_string_append_printf (s, "  %.0f/s", rate);
      if (eta_known)
        {
          g_autofree char *eta = progress_format_duration (eta_us);
          g_string_append_printf (s, "  ETA %s", eta);
        }
    }
  else
    {
      g_string_append_printf (s, "%s: %" G_GUINT64_FORMAT, label, done);
      if (total > 0)
        g_string_append_printf (s, " of %" G_GUINT64_FORMAT " (%u%%)", total,
                                (guint) (MIN (done, total) * 100 / total));
      g_string_append_printf (s, ", %.0f per second", rate);
      if (eta_known)
        {
          g_autofree char *eta = progress_format_duration (eta_us);
          g_string_append_printf (s, ", about %s left", eta);
        }
    }
  return g_string_free (s, FALSE);
}

static void
output (Progress *p, gint64 t)
{
  g_autofree char *line = progress_format_line (&p->settings, p->mode, p->done, t - p->start);
  gsize width = strlen (line);

  if (p->mode == PROGRESS_MODE_BAR)
    {
      fprintf (p->settings.stream, "\r%s", line);
      for (gsize i = width; i < p->last_width; i++)
        fputc (' ', p->settings.stream);
      p->last_width = width;
    }
  else
    fprintf (p->settings.stream, "%s\n", line);
  fflush (p->settings.stream);
  p->last_output = t;
}

void
progress_update (Progress *p, guint64 done)
{
  gint64 t;

  g_return_if_fail (p != NULL);
  p->done = done;
  if (p->mode == PROGRESS_MODE_QUIET || p->finished)
    return;
  t = now (p);
  if (t - p->last_output >= (p->mode == PROGRESS_MODE_BAR ? PROGRESS_REDRAW_US : PROGRESS_LOG_US))
    output (p, t);
}

void
progress_set_total (Progress *p, guint64 total)
{
  g_return_if_fail (p != NULL);
  p->settings.total = total;
}

void
progress_finish (Progress *p)
{
  g_return_if_fail (p != NULL);
  if (p->finished)
    return;
  p->finished = TRUE;
  if (p->mode == PROGRESS_MODE_QUIET)
    return;
  output (p, now (p));
  if (p->mode == PROGRESS_MODE_BAR)
    {
      fputc ('\n', p->settings.stream);
      fflush (p->settings.stream);
    }
}

void
progress_free (Progress *progress)
{
  g_free (progress);
}
