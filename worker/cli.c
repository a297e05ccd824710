/* cli.c - one voice for the command line
 *
 * GLib's option parser knows "-j 2", "--threads=2" and "--format table", but
 * takes "-j2" for the options "-j" and "-2" and then complains about the
 * next argument; getopt users expect "-j2" and "-ftable" to work, so the
 * vector is normalised first.  Its errors are English sentences starting
 * with a capital and using typographic quotes ("Unknown option --bogus"); they
 * are rewrapped in the voice of every other message of bounced:
 *
 *   bounced parse: unknown option --bogus
 *   Try "bounced parse --help".
 */
#include "cli.h"
#include "store.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *current_command;
/* Short options taking a value, collected by cli_add_entries(). */
static GString *short_with_value;
/* The vector handed back by cli_parse() and a copy of all its strings
 * (GLib drops the pointers of the options it consumes), kept until exit. */
static char **handed_argv;
static char **all_strings;

void
cli_set_command (const char *command)
{
  current_command = command;
}

const char *
cli_command (void)
{
  return current_command;
}

static void
print_prefix (void)
{
  if (current_command != NULL)
    fprintf (stderr, "bounced %s: ", current_command);
  else
    fputs ("bounced: ", stderr);
}

void
cli_error (const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  fflush (stdout);
  print_prefix ();
  fprintf (stderr, "%s\n", message);
}

int
cli_usage_error (const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  fflush (stdout);
  print_prefix ();
  fprintf (stderr, "%s\n", message);
  if (current_command != NULL)
    fprintf (stderr, "Try \"bounced %s --help\".\n", current_command);
  else
    fputs ("Try \"bounced --help\".\n", stderr);
  return CLI_EXIT_USAGE;
}

void
cli_add_entries (GOptionContext *context, const GOptionEntry *entries)
{
  if (short_with_value == NULL)
    short_with_value = g_string_new (NULL);
  for (const GOptionEntry *e = entries; e->long_name != NULL; e++)
    if (e->short_name != 0 && e->arg != G_OPTION_ARG_NONE
        && (e->flags & G_OPTION_FLAG_NO_ARG) == 0 && e->arg != G_OPTION_ARG_CALLBACK)
      g_string_append_c (short_with_value, e->short_name);
  g_option_context_add_main_entries (context, entries, NULL);
}

char **
cli_normalize_argv (int argc, char **argv, const char *with_value, int *argc_out)
{
  GPtrArray *out = g_ptr_array_new ();
  gboolean options_over = FALSE;

  for (int i = 0; i < argc; i++)
    {
      const char *arg = argv[i];

      if (i > 0 && !options_over && strcmp (arg, "--") == 0)
        options_over = TRUE;
      if (i > 0 && !options_over && arg[0] == '-' && arg[1] != '-' && arg[1] != '\0'
          && arg[2] != '\0' && with_value != NULL && strchr (with_value, arg[1]) != NULL)
        {
          g_ptr_array_add (out, g_strndup (arg, 2));
          /* "-j=2" is GLib's own spelling too. */
          g_ptr_array_add (out, g_strdup (arg + (arg[2] == '=' ? 3 : 2)));
          continue;
        }
      g_ptr_array_add (out, g_strdup (arg));
    }
  *argc_out = (int) out->len;
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

char *
cli_option_message (const char *glib_message)
{
  GString *out = g_string_new (NULL);
  const char *p = glib_message;

  if (*p != '\0' && g_ascii_isupper (*p) && !g_ascii_isupper (p[1]))
    {
      g_string_append_c (out, g_ascii_tolower (*p));
      p++;
    }
  for (; *p != '\0'; p++)
    {
      /* U+201C and U+201D, GLib's quotes. */
      if (strncmp (p, "\xe2\x80\x9c", 3) == 0 || strncmp (p, "\xe2\x80\x9d", 3) == 0)
        {
          g_string_append_c (out, '"');
          p += 2;
          continue;
        }
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

gboolean
cli_parse (GOptionContext *context, int *argc, char ***argv)
{
  g_autoptr(GError) error = NULL;
  int n = 0;
  char **normal = cli_normalize_argv (*argc, *argv,
                                      short_with_value ? short_with_value->str : NULL, &n);

  g_strfreev (all_strings);
  g_free (handed_argv);
  all_strings = normal;
  handed_argv = g_memdup2 (normal, sizeof (char *) * (gsize) (n + 1));
  *argc = n;
  *argv = handed_argv;
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_autofree char *message = cli_option_message (error->message);

      cli_usage_error ("%s", message);
      return FALSE;
    }
  return TRUE;
}

int
cli_exit_status_of (const GError *error)
{
  if (g_error_matches (error, STORE_ERROR, STORE_ERROR_UNAVAILABLE))
    return CLI_EXIT_UNAVAILABLE;
  if (g_error_matches (error, STORE_ERROR, STORE_ERROR_CONFIG))
    return CLI_EXIT_USAGE;
  return CLI_EXIT_FAILED;
}

int
cli_database_error (const GError *error, const char *origin)
{
  if (origin != NULL)
    cli_error ("%s (database from %s)", error->message, origin);
  else
    cli_error ("%s", error->message);
  return cli_exit_status_of (error);
}
