/* test-progress.c - progress bar and log lines (worker/progress.c)
 *
 * Time comes from a fake clock, so the throttling is tested without
 * waiting and without depending on the speed of the machine.
 */
#include "progress.h"

#include <string.h>

static gint64 fake_now;

static gint64
fake_clock (void)
{
  return fake_now;
}

typedef struct {
  const char *name;
  gint64 us;
  const char *expected;
} DurationCase;

static const DurationCase duration_cases[] = {
  { "zero", 0, "0:00" },
  { "rounds-up", 1, "0:01" },
  { "seconds", 6 * G_TIME_SPAN_SECOND, "0:06" },
  { "minutes", (12 * 60 + 34) * G_TIME_SPAN_SECOND, "12:34" },
  { "hours", (3600 + 2 * 60 + 3) * G_TIME_SPAN_SECOND, "1:02:03" },
  { "negative", -5, "0:00" },
};

static void
test_duration (gconstpointer data)
{
  const DurationCase *c = data;
  g_autofree char *s = progress_format_duration (c->us);

  g_assert_cmpstr (s, ==, c->expected);
}

typedef struct {
  const char *name;
  ProgressMode mode;
  guint64 total;
  guint64 done;
  gint64 elapsed_us;
  const char *expected;
} LineCase;

static const LineCase line_cases[] = {
  { "bar-half", PROGRESS_MODE_BAR, 10000, 5000, 5 * G_TIME_SPAN_SECOND,
    "reprocess [##########..........]  5000/10000   50%  1000/s  ETA 0:05" },
  { "bar-done", PROGRESS_MODE_BAR, 200, 200, 2 * G_TIME_SPAN_SECOND,
    "reprocess [####################]  200/200  100%  100/s  ETA 0:00" },
  { "bar-unknown-total", PROGRESS_MODE_BAR, 0, 42, G_TIME_SPAN_SECOND,
    "reprocess  42  42/s" },
  { "bar-no-time-yet", PROGRESS_MODE_BAR, 10, 0, 0,
    "reprocess [....................]  0/10    0%  0/s" },
  { "log-half", PROGRESS_MODE_LOG, 10000, 5000, 5 * G_TIME_SPAN_SECOND,
    "reprocess: 5000 of 10000 (50%), 1000 per second, about 0:05 left" },
  { "log-unknown-total", PROGRESS_MODE_LOG, 0, 42, G_TIME_SPAN_SECOND,
    "reprocess: 42, 42 per second" },
  { "log-past-total", PROGRESS_MODE_LOG, 10, 12, G_TIME_SPAN_SECOND,
    "reprocess: 12 of 10 (100%), 12 per second" },
};

static void
test_line (gconstpointer data)
{
  const LineCase *c = data;
  ProgressSettings settings;
  g_autofree char *line = NULL;

  progress_settings_init (&settings);
  settings.label = "reprocess";
  settings.total = c->total;
  line = progress_format_line (&settings, c->mode, c->done, c->elapsed_us);
  g_assert_cmpstr (line, ==, c->expected);
}

static char *
run (ProgressMode mode, guint64 total, guint steps, gint64 step_us)
{
  ProgressSettings settings;
  g_autoptr(Progress) p = NULL;
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);

  progress_settings_init (&settings);
  settings.label = "run";
  settings.total = total;
  settings.mode = mode;
  settings.stream = f;
  settings.clock = fake_clock;
  fake_now = 1000 * G_TIME_SPAN_SECOND;
  p = progress_new (&settings);
  for (guint i = 1; i <= steps; i++)
    {
      fake_now += step_us;
      progress_update (p, i);
    }
  progress_finish (p);
  fclose (f);
  return buf;
}

static guint
count_of (const char *s, const char *needle)
{
  guint n = 0;
  for (const char *p = strstr (s, needle); p; p = strstr (p + 1, needle))
    n++;
  return n;
}

static void
test_log_throttled (void)
{
  /* 100 items, one per second: a line every 10 s, then the final one. */
  g_autofree char *out = run (PROGRESS_MODE_LOG, 100, 100, G_TIME_SPAN_SECOND);

  g_assert_cmpuint (count_of (out, "\n"), ==, 11);
  g_assert_null (strchr (out, '\r'));
  g_assert_true (g_str_has_suffix (out, "run: 100 of 100 (100%), 1 per second, about 0:00 left\n"));
}

static void
test_bar_throttled (void)
{
  /* 1000 items 10 ms apart: a redraw every 100 ms, one line in all. */
  g_autofree char *out = run (PROGRESS_MODE_BAR, 1000, 1000, 10 * G_TIME_SPAN_MILLISECOND);

  g_assert_cmpuint (count_of (out, "\r"), ==, 101);
  g_assert_cmpuint (count_of (out, "\n"), ==, 1);
  g_assert_true (g_str_has_suffix (out, "1000/1000  100%  100/s  ETA 0:00\n"));
}

static void
test_quiet (void)
{
  g_autofree char *out = run (PROGRESS_MODE_QUIET, 10, 10, G_TIME_SPAN_SECOND * 60);

  g_assert_cmpstr (out, ==, "");
}

static void
test_auto_not_a_terminal (void)
{
  /* A memory stream is not a terminal: log lines. */
  g_autofree char *out = run (PROGRESS_MODE_AUTO, 10, 10, G_TIME_SPAN_SECOND);

  g_assert_null (strchr (out, '\r'));
  g_assert_nonnull (strstr (out, "run: 10 of 10"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (duration_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/progress/duration/%s", duration_cases[i].name);
      g_test_add_data_func (path, &duration_cases[i], test_duration);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (line_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/progress/line/%s", line_cases[i].name);
      g_test_add_data_func (path, &line_cases[i], test_line);
    }
  g_test_add_func ("/progress/log-throttled", test_log_throttled);
  g_test_add_func ("/progress/bar-throttled", test_bar_throttled);
  g_test_add_func ("/progress/quiet", test_quiet);
  g_test_add_func ("/progress/auto-not-a-terminal", test_auto_not_a_terminal);
  return g_test_run ();
}
