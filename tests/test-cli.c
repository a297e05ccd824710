/* test-cli.c - the command line's one voice (worker/cli.c, worker/log.c):
 * "-j2" and "-ftable" as getopt users expect, GLib's option errors rewrapped,
 * exit statuses of database errors, the log line and its journal fields. */
#include "cli.h"
#include "log.h"
#include "store.h"

#include <string.h>

typedef struct {
  const char *name;
  const char *in;            /* arguments separated by spaces */
  const char *out;
} NormalizeCase;

static const NormalizeCase normalize_cases[] = {
  { "joined-value", "parse -j2 x", "parse -j 2 x" },
  { "joined-format", "parse -ftable dir", "parse -f table dir" },
  { "equals", "parse -j=2 x", "parse -j 2 x" },
  { "separate", "parse -j 2 x", "parse -j 2 x" },
  { "long-untouched", "parse --format=table --threads 2", "parse --format=table --threads 2" },
  { "flag-group-untouched", "ingest -qv md", "ingest -qv md" },
  { "after-double-dash", "parse -- -j2", "parse -- -j2" },
  { "dash-alone", "parse -", "parse -" },
  { "command-name-untouched", "-jx", "-jx" },
};

static void
test_normalize (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (normalize_cases); i++)
    {
      const NormalizeCase *c = &normalize_cases[i];
      g_auto(GStrv) in = g_strsplit (c->in, " ", -1);
      int n = 0;
      g_auto(GStrv) out = cli_normalize_argv ((int) g_strv_length (in), in, "jfbcd", &n);
      g_autofree char *joined = g_strjoinv (" ", out);

      g_test_message ("case %s", c->name);
      g_assert_cmpstr (joined, ==, c->out);
      g_assert_cmpint (n, ==, (int) g_strv_length (out));
    }
}

static void
test_option_message (void)
{
  static const struct { const char *glib, *ours; } cases[] = {
    { "Unknown option --bogus", "unknown option --bogus" },
    { "Cannot parse integer value \xe2\x80\x9cx\xe2\x80\x9d for -j",
      "cannot parse integer value \"x\" for -j" },
    { "Missing argument for --db", "missing argument for --db" },
    /* An acronym keeps its capitals. */
    { "UTF-8 is required", "UTF-8 is required" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = cli_option_message (cases[i].glib);
      g_assert_cmpstr (got, ==, cases[i].ours);
    }
}

static void
test_exit_status (void)
{
  g_autoptr(GError) unavailable = g_error_new (STORE_ERROR, STORE_ERROR_UNAVAILABLE, "x");
  g_autoptr(GError) config = g_error_new (STORE_ERROR, STORE_ERROR_CONFIG, "x");
  g_autoptr(GError) failed = g_error_new (STORE_ERROR, STORE_ERROR_FAILED, "x");
  g_autoptr(GError) other = g_error_new (G_FILE_ERROR, G_FILE_ERROR_NOENT, "x");

  g_assert_cmpint (cli_exit_status_of (unavailable), ==, CLI_EXIT_UNAVAILABLE);
  g_assert_cmpint (cli_exit_status_of (config), ==, CLI_EXIT_USAGE);
  g_assert_cmpint (cli_exit_status_of (failed), ==, CLI_EXIT_FAILED);
  g_assert_cmpint (cli_exit_status_of (other), ==, CLI_EXIT_FAILED);
}

/* ---- log ---------------------------------------------------------------- */

static GPtrArray *captured;   /* "KEY=value" of the last entry */

static GLogWriterOutput
capture (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  g_ptr_array_set_size (captured, 0);
  for (gsize i = 0; i < n_fields; i++)
    if (fields[i].length < 0)
      g_ptr_array_add (captured, g_strdup_printf ("%s=%s", fields[i].key,
                                                  (const char *) fields[i].value));
  return G_LOG_WRITER_HANDLED;
}

static gboolean
captured_has (const char *field)
{
  for (guint i = 0; i < captured->len; i++)
    if (strcmp (g_ptr_array_index (captured, i), field) == 0)
      return TRUE;
  return FALSE;
}

static void
test_log_batch_fields (void)
{
  LogBatch batch = { "/var/mail/bounces", 1000, 990, 7, 3, 0.25, 0.125 };

  log_batch (&batch);
  for (guint i = 0; i < captured->len; i++)
    g_test_message ("%s", (const char *) g_ptr_array_index (captured, i));
  g_assert_true (captured_has ("MAILDIR=/var/mail/bounces"));
  g_assert_true (captured_has ("BATCH_MESSAGES=1000"));
  g_assert_true (captured_has ("BATCH_FAILED=3"));
  g_assert_true (captured_has ("BATCH_SECONDS=0.250"));
  g_assert_true (captured_has ("MESSAGE=stored 1000 messages (990 bounces, 7 not bounces, "
                               "3 unparseable) in 0.250 s, 0.125 s of it in the database"));
}

static void
test_log_line (void)
{
  const GLogField batch[] = {
    { "MAILDIR", "/var/mail/bounces", -1 },
    { "MESSAGE", "stored 1 message", -1 },
  };
  const GLogField named[] = {
    { "MAILDIR", "/var/mail/bounces", -1 },
    { "MESSAGE", "could not claim \"/var/mail/bounces/new/x\": Permission denied", -1 },
  };
  const GLogField plain[] = { { "MESSAGE", "database available again", -1 } };
  g_autofree char *a = NULL, *b = NULL, *c = NULL;

  cli_set_command ("watch");
  a = log_format_line (G_LOG_LEVEL_INFO, batch, G_N_ELEMENTS (batch));
  g_assert_cmpstr (a, ==, "bounced watch: /var/mail/bounces: stored 1 message");
  b = log_format_line (G_LOG_LEVEL_WARNING, named, G_N_ELEMENTS (named));
  g_assert_cmpstr (b, ==, "bounced watch: warning: could not claim "
                          "\"/var/mail/bounces/new/x\": Permission denied");
  /* No field of its own: the Maildirs of the worker. */
  log_configure (TRUE, (const char *const[]) { "/m/a", "/m/b", NULL });
  c = log_format_line (G_LOG_LEVEL_MESSAGE, plain, G_N_ELEMENTS (plain));
  g_assert_cmpstr (c, ==, "bounced watch: /m/a, /m/b: database available again");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  captured = g_ptr_array_new_with_free_func (g_free);
  g_log_set_writer_func (capture, NULL, NULL);
  g_test_add_func ("/cli/normalize-argv", test_normalize);
  g_test_add_func ("/cli/option-message", test_option_message);
  g_test_add_func ("/cli/exit-status", test_exit_status);
  g_test_add_func ("/log/line", test_log_line);
  g_test_add_func ("/log/batch-fields", test_log_batch_fields);
  {
    int status = g_test_run ();
    g_ptr_array_unref (captured);
    return status;
  }
}
