/* bench-classify.c - what classification costs within a parse
 *
 *   bench-classify [--rounds N] FILE|DIR...
 *
 * Reads every message into memory first (no file system in the timings),
 * then:
 *   1. parses them all with bounce_report_parse(), which classifies at its
 *      end, and times the whole;
 *   2. classifies the parsed reports again with classify_report(), N
 *      rounds, and times that alone (classification overwrites what it
 *      set, so a repeat does the same work as the first time).
 * It prints messages, recipients, the time per message of each, and the
 * share of the parse that classification takes.  One thread, so that the
 * figures do not depend on the machine's load across cores.
 */
#include "classify-private.h"

#include <string.h>

#define BENCH_DEFAULT_ROUNDS 20

static void
collect (const char *path, GPtrArray *files)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          collect (child, files);
        }
      return;
    }
  {
    char *data;
    gsize len;

    if (g_file_get_contents (path, &data, &len, NULL))
      g_ptr_array_add (files, g_bytes_new_take (data, len));
  }
}

int
main (int argc, char **argv)
{
  gint64 rounds = BENCH_DEFAULT_ROUNDS;
  g_auto(GStrv) inputs = NULL;
  GOptionEntry entries[] = {
    { "rounds", 'n', 0, G_OPTION_ARG_INT64, &rounds, "Classification rounds (default 20)", "N" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &inputs, NULL, "FILE|DIR..." },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("FILE|DIR... - time classification");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GPtrArray) reports = g_ptr_array_new_with_free_func ((GDestroyNotify) bounce_report_free);
  guint recipients = 0;
  gint64 t0, parse_us, classify_us;
  double per_parse, per_classify;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || inputs == NULL || rounds < 1)
    {
      g_printerr ("bench-classify: %s\n", error ? error->message : "no input given, or rounds < 1");
      return 2;
    }
  for (guint i = 0; inputs[i] != NULL; i++)
    collect (inputs[i], files);
  if (files->len == 0)
    {
      g_printerr ("bench-classify: no readable message\n");
      return 2;
    }

  /* Warm up: GMime's and the classifier's one-time set-up. */
  {
    gsize len;
    const char *data = g_bytes_get_data (g_ptr_array_index (files, 0), &len);
    bounce_report_free (bounce_report_parse (data, len, NULL, NULL));
  }

  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < files->len; i++)
    {
      gsize len;
      const char *data = g_bytes_get_data (g_ptr_array_index (files, i), &len);
      BounceReport *report = bounce_report_parse (data, len, NULL, NULL);

      if (report != NULL)
        {
          recipients += report->recipients->len;
          g_ptr_array_add (reports, report);
        }
    }
  parse_us = g_get_monotonic_time () - t0;

  t0 = g_get_monotonic_time ();
  for (gint64 r = 0; r < rounds; r++)
    for (guint i = 0; i < reports->len; i++)
      classify_report (g_ptr_array_index (reports, i), NULL);
  classify_us = (g_get_monotonic_time () - t0) / rounds;

  per_parse = (double) parse_us / files->len;
  per_classify = (double) classify_us / files->len;
  g_print ("messages        %u\n", files->len);
  g_print ("recipients      %u\n", recipients);
  g_print ("parse           %.2f us/message (%.0f messages/s, classification included)\n",
           per_parse, 1e6 / per_parse);
  g_print ("classify        %.3f us/message (%.3f us/recipient), mean of %" G_GINT64_FORMAT " rounds\n",
           per_classify, recipients ? (double) classify_us / recipients : 0.0, rounds);
  g_print ("share           %.2f%% of the parse\n", 100.0 * per_classify / per_parse);
  return 0;
}
