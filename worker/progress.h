/* progress.h - progress of a long run: a bar on a terminal, log lines otherwise
 *
 * On a terminal, one line redrawn in place at most PROGRESS_REDRAW_US apart:
 *
 *   reprocess [##########..........]  5012/10000  50%  812/s  ETA 0:06
 *
 * Elsewhere (cron, systemd, a pipe) a plain line every PROGRESS_LOG_US:
 *
 *   reprocess: 5012 of 10000 (50%), 812 per second, about 6 s left
 */
#pragma once

#include <glib.h>
#include <stdio.h>

G_BEGIN_DECLS

#define PROGRESS_REDRAW_US (100 * G_TIME_SPAN_MILLISECOND)
#define PROGRESS_LOG_US (10 * G_TIME_SPAN_SECOND)
#define PROGRESS_BAR_WIDTH 20

typedef enum {
  PROGRESS_MODE_AUTO,   /* a bar when the stream is a terminal, else log lines */
  PROGRESS_MODE_BAR,
  PROGRESS_MODE_LOG,
  PROGRESS_MODE_QUIET,  /* nothing */
} ProgressMode;

/**
 * ProgressSettings:
 * @label: what is progressing ("reprocess"); borrowed, must outlive.
 * @total: how many items in all, or 0 when unknown (no bar, no ETA).
 * @mode: how to show it.
 * @stream: (nullable): where to write (NULL: stderr).
 * @clock: (nullable): monotonic time in microseconds (NULL:
 *   g_get_monotonic_time); tests pass their own.
 */
typedef struct {
  const char *label;
  guint64 total;
  ProgressMode mode;
  FILE *stream;
  gint64 (*clock) (void);
} ProgressSettings;

void progress_settings_init (ProgressSettings *settings);

typedef struct _Progress Progress;

/**
 * progress_new:
 * Starts the clock.  Returns: (transfer full).
 *
 *   g_autoptr(Progress) p = progress_new (&settings);
 *   for (...) progress_update (p, ++done);
 *   progress_finish (p);
 */
Progress *progress_new (const ProgressSettings *settings);

/* Records that @done items are finished; redraws or logs when due. */
void progress_update (Progress *progress, guint64 done);

/* Sets the total when it becomes known after the start (0: unknown). */
void progress_set_total (Progress *progress, guint64 total);

/* Shows the final state (and ends the bar's line). */
void progress_finish (Progress *progress);

/**
 * progress_format_duration:
 * "0:06", "12:34", "1:02:03"; seconds rounded up.  Returns: (transfer full).
 */
char *progress_format_duration (gint64 us);

/**
 * progress_format_line:
 * The text shown for @done items after @elapsed_us, in @mode (BAR or LOG),
 * without line end or carriage return.  Returns: (transfer full).
 */
char *progress_format_line (const ProgressSettings *settings, ProgressMode mode,
                            guint64 done, gint64 elapsed_us);

void progress_free (Progress *progress);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Progress, progress_free)

G_END_DECLS
