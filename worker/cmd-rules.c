/* cmd-rules.c - `bounced rules`: list and check classification rules
 *
 * --list prints the rules in the rules-file format itself (bounced-
 * reasons(7), "RULES FILES"), each line followed by where it is written,
 * so that a built-in rule can be copied into a local file and changed:
 * the built-in vocabulary first, in the order of its files, then the local
 * rules of --rules and of the configuration's rules directory, which the
 * classifier consults first.  --check reads rules files and says whether
 * they are good, with the file, line and reason when one is not.
 */
#include "commands.h"
#include "parser-options.h"

#include <stdio.h>
#include <string.h>

typedef struct {
  const char *reason;      /* filter, or NULL */
  GString *out;
  guint count;
} Listing;

static gboolean
needs_quotes (const char *s)
{
  return *s == '\0' || strpbrk (s, " \t\"#\\") != NULL;
}

static void
append_word (GString *out, const char *s)
{
  if (!needs_quotes (s))
    {
      g_string_append (out, s);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = s; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
list_rule (const BounceRuleInfo *rule, gpointer user_data)
{
  Listing *listing = user_data;

  if (listing->reason != NULL && strcmp (listing->reason, rule->reason) != 0)
    return;
  listing->count++;
  g_string_append_printf (listing->out, "%s %s ", rule->reason, rule->kind);
  append_word (listing->out, rule->pattern);
  if (rule->conditions != NULL)
    {
      /* Conditions are kept as written, quotes removed: quote each again. */
      g_auto(GStrv) words = NULL;
      g_autoptr(GError) error = NULL;
      if (g_shell_parse_argv (rule->conditions, NULL, &words, &error))
        for (guint i = 0; words[i] != NULL; i++)
          {
            const char *eq = strchr (words[i], '=');
            g_string_append_c (listing->out, ' ');
            if (eq != NULL && needs_quotes (eq + 1))
              {
                g_string_append_len (listing->out, words[i], eq + 1 - words[i]);
                append_word (listing->out, eq + 1);
              }
            else
              append_word (listing->out, words[i]);
          }
      else
        g_string_append_printf (listing->out, " %s", rule->conditions);
    }
  g_string_append_printf (listing->out, "  # %s:%u\n", rule->file, rule->line);
}

int
cmd_rules (int argc, char **argv, const BounceSettings *base_settings)
{
  gboolean list = FALSE, check = FALSE, builtin_only = FALSE, local_only = FALSE;
  g_autofree char *reason = NULL;
  g_auto(GStrv) files = NULL;
  GOptionEntry entries[] = {
    { "list", 'l', 0, G_OPTION_ARG_NONE, &list, "List the rules (the default)", NULL },
    { "check", 0, 0, G_OPTION_ARG_NONE, &check, "Check the rules files given as arguments", NULL },
    { "builtin", 0, 0, G_OPTION_ARG_NONE, &builtin_only, "List only the built-in rules", NULL },
    { "local", 0, 0, G_OPTION_ARG_NONE, &local_only, "List only the local rules", NULL },
    { "reason", 0, 0, G_OPTION_ARG_STRING, &reason, "List only the rules giving REASON", "REASON" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, "[FILE...]" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("[--list | --check FILE...] - the classification rules");
  g_autoptr(GError) error = NULL;
  g_autoptr(BounceRules) rules = NULL;
  g_autoptr(Config) config = config_new ();
  g_autoptr(GString) out = g_string_new (NULL);
  BounceSettings settings = *base_settings;
  ParserOptions options;
  Listing listing = { 0 };
  int status = 2;

  parser_options_init (&options);
  g_option_context_add_main_entries (context, entries, NULL);
  parser_options_add (&options, context);
  g_option_context_set_summary (context,
    "--list prints every rule in the rules-file format, with where it is\n"
    "written: the built-in vocabulary, then the local rules (--rules and the\n"
    "configuration's rules directory), which are consulted first.\n"
    "--check FILE... reads rules files and reports the first error of each.");
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bounced rules: %s\nTry \"bounced rules --help\".\n", error->message);
      goto out;
    }
  if (list && check)
    {
      g_printerr ("bounced rules: --list and --check exclude each other\n");
      goto out;
    }
  if (builtin_only && local_only)
    {
      g_printerr ("bounced rules: --builtin and --local exclude each other\n");
      goto out;
    }
  if (check)
    {
      guint bad = 0;

      if (files == NULL || files[0] == NULL)
        {
          g_printerr ("bounced rules: --check needs rules files to read\n");
          goto out;
        }
      for (guint i = 0; files[i] != NULL; i++)
        {
          g_autoptr(BounceRules) one = bounce_rules_new ();
          g_autoptr(GError) err = NULL;

          if (!bounce_rules_load (one, files[i], &err))
            {
              g_printerr ("bounced rules: %s\n", err->message);
              bad++;
            }
          else
            printf ("%s: %u rules, all good\n", files[i], bounce_rules_count (one));
        }
      status = bad > 0 ? 1 : 0;
      goto out;
    }
  if (files != NULL && files[0] != NULL)
    {
      g_printerr ("bounced rules: unexpected argument \"%s\" (rules files to list go with --rules)\n",
                  files[0]);
      goto out;
    }
  if (reason != NULL && !bounce_reason_is_known (reason))
    {
      g_printerr ("bounced rules: unknown reason \"%s\" (see bounced-reasons(7))\n", reason);
      goto out;
    }
  status = 1;
  if (!parser_options_configure (&options, config, &error)
      || !config_parse_settings (config, &settings, &rules, &error))
    {
      g_printerr ("bounced rules: %s\n", error->message);
      goto out;
    }
  listing.reason = reason;
  listing.out = out;
  if (!local_only)
    {
      g_string_append (out, "# built-in rules\n");
      bounce_rules_foreach (NULL, list_rule, &listing);
    }
  if (!builtin_only)
    {
      g_string_append (out, "# local rules (consulted first)\n");
      if (rules != NULL)
        bounce_rules_foreach (rules, list_rule, &listing);
    }
  fwrite (out->str, 1, out->len, stdout);
  if (fflush (stdout) != 0 || ferror (stdout))
    {
      g_printerr ("bounced rules: could not write output\n");
      goto out;
    }
  status = 0;
out:
  parser_options_clear (&options);
  return status;
}
