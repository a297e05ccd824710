/* test-config.c - configuration file and environment (worker/config.c) */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

static char *
write_config (const char *dir, const char *text)
{
  char *path = g_build_filename (dir, "bounced.conf", NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  return path;
}

static void
test_defaults (void)
{
  g_autoptr(Config) config = config_new ();

  g_assert_null (config->db);
  g_assert_null (config->done_folder);
  g_assert_cmpuint (config->batch_size, ==, CONFIG_DEFAULT_BATCH_SIZE);
  g_assert_cmpuint (config->max_message_size, ==, BOUNCE_DEFAULT_MAX_MESSAGE_SIZE);
  g_assert_cmpuint (config->rules_files->len, ==, 0);
  g_assert_cmpuint (config->retry_unreadable, ==, 60);
  g_assert_cmpfloat (config->bounce_threshold, ==, 2.0);
  g_assert_cmpfloat (config->complaint_threshold, ==, 0.3);
}

static void
test_file (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-config-XXXXXX", NULL);
  g_autofree char *path = write_config (dir,
    "# a comment\n"
    "[bounced]\n"
    "db = dbname=bounces\n"
    "done-folder = .Done\n"
    "other-folder =\n"
    "batch-size = 250\n"
    "max-message-size = 1048576\n"
    "max-mime-parts = 50\n"
    "retry-unreadable = 5\n"
    "bounce-threshold = 1.5\n"
    "complaint-threshold =  0.25 \n"
    "rules = /a.rules;/b.rules\n");
  g_autoptr(Config) config = config_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *rules_dir = g_build_filename (dir, "rules.d", NULL);

  g_assert_true (config_load_file (config, path, TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (config->db, ==, "dbname=bounces");
  g_assert_cmpstr (config->done_folder, ==, ".Done");
  /* Absent is NULL: an empty value is "not set". */
  g_assert_null (config->other_folder);
  g_assert_cmpuint (config->batch_size, ==, 250);
  g_assert_cmpuint (config->max_message_size, ==, 1048576);
  g_assert_cmpuint (config->max_mime_parts, ==, 50);
  g_assert_cmpuint (config->retry_unreadable, ==, 5);
  g_assert_cmpfloat (config->bounce_threshold, ==, 1.5);
  g_assert_cmpfloat (config->complaint_threshold, ==, 0.25);
  g_assert_cmpuint (config->rules_files->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (config->rules_files, 1), ==, "/b.rules");
  g_assert_cmpstr (config->file, ==, path);
  g_assert_cmpstr (config->rules_dir, ==, rules_dir);
  g_unlink (path);
  g_rmdir (dir);
}

/* Files that must be refused, each with the reason. */
static void
test_bad_files (void)
{
  static const struct {
    const char *name;
    const char *text;
  } cases[] = {
    { "unknown key (a typo must not fall back to a default)", "[bounced]\nbatchsize = 5\n" },
    { "unknown group", "[ingest]\nbatch-size = 5\n" },
    { "not a number", "[bounced]\nbatch-size = many\n" },
    { "zero batch", "[bounced]\nbatch-size = 0\n" },
    { "negative", "[bounced]\nmax-mime-depth = -1\n" },
    { "zero parts", "[bounced]\nmax-mime-parts = 0\n" },
    { "not a key file", "batch-size = 5\n" },
    { "zero retry", "[bounced]\nretry-unreadable = 0\n" },
    { "zero threshold", "[bounced]\nbounce-threshold = 0\n" },
    { "threshold over 100", "[bounced]\ncomplaint-threshold = 100.5\n" },
    { "threshold with a unit", "[bounced]\nbounce-threshold = 2%\n" },
    { "threshold not a number", "[bounced]\nbounce-threshold = two\n" },
    { "negative threshold", "[bounced]\ncomplaint-threshold = -0.3\n" },
    { "threshold NaN", "[bounced]\nbounce-threshold = nan\n" },
  };
  g_autofree char *dir = g_dir_make_tmp ("test-config-XXXXXX", NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = write_config (dir, cases[i].text);
      g_autoptr(Config) config = config_new ();
      g_autoptr(GError) error = NULL;

      g_test_message ("case: %s", cases[i].name);
      g_assert_false (config_load_file (config, path, TRUE, &error));
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error->message, path));
      g_unlink (path);
    }
  g_rmdir (dir);
}

static void
test_missing_file (void)
{
  g_autoptr(Config) config = config_new ();
  g_autoptr(GError) error = NULL;

  /* The default file may be absent; a file named on the command line not. */
  g_assert_true (config_load_file (config, "/nonexistent/bounced.conf", FALSE, &error));
  g_assert_no_error (error);
  g_assert_null (config->file);
  g_assert_false (config_load_file (config, "/nonexistent/bounced.conf", TRUE, &error));
  g_assert_error (error, CONFIG_ERROR, CONFIG_ERROR_INVALID);
}

/* BOUNCED_DB over DATABASE_URL over the file. */
static void
test_environment (void)
{
  static const struct {
    const char *bounced_db, *database_url, *file_db, *expected;
  } cases[] = {
    { NULL, NULL, "dbname=file", "dbname=file" },
    { NULL, "postgresql:///url", "dbname=file", "postgresql:///url" },
    { "dbname=env", "postgresql:///url", "dbname=file", "dbname=env" },
    { "", NULL, "dbname=file", "dbname=file" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(Config) config = config_new ();

      config->db = g_strdup (cases[i].file_db);
      if (cases[i].bounced_db)
        g_setenv ("BOUNCED_DB", cases[i].bounced_db, TRUE);
      else
        g_unsetenv ("BOUNCED_DB");
      if (cases[i].database_url)
        g_setenv ("DATABASE_URL", cases[i].database_url, TRUE);
      else
        g_unsetenv ("DATABASE_URL");
      config_apply_environment (config);
      g_assert_cmpstr (config->db, ==, cases[i].expected);
    }
  g_unsetenv ("BOUNCED_DB");
  g_unsetenv ("DATABASE_URL");
}

static void
test_settings (void)
{
  g_autoptr(Config) config = config_new ();
  g_autoptr(BounceRules) rules = NULL;
  g_autoptr(GError) error = NULL;
  BounceSettings settings;

  bounce_settings_init (&settings);
  config->max_mime_depth = 7;
  config->max_mime_parts = 9;
  config->campaign_header = g_strdup ("X-Mailing");
  g_free (config->rules_dir);
  config->rules_dir = g_strdup ("/nonexistent/rules.d");
  g_assert_true (config_parse_settings (config, &settings, &rules, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (settings.max_mime_depth, ==, 7);
  g_assert_cmpuint (settings.max_mime_parts, ==, 9);
  g_assert_cmpstr (settings.campaign_header, ==, "X-Mailing");
  /* No rules anywhere: none loaded, and a missing rules.d is no error. */
  g_assert_null (rules);
  g_assert_null (settings.rules);

  g_ptr_array_add (config->rules_files, g_strdup ("/nonexistent/local.rules"));
  g_assert_false (config_parse_settings (config, &settings, &rules, &error));
  g_assert_nonnull (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/config/defaults", test_defaults);
  g_test_add_func ("/config/file", test_file);
  g_test_add_func ("/config/bad-files", test_bad_files);
  g_test_add_func ("/config/missing-file", test_missing_file);
  g_test_add_func ("/config/environment", test_environment);
  g_test_add_func ("/config/settings", test_settings);
  return g_test_run ();
}
