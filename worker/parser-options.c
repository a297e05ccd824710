/* parser-options.c - options shared by the commands that parse mail
 *
 * parse, ingest, watch and reprocess read mail the same way, so they take the
 * same options and the same configuration keys, with one precedence: command
 * line over environment over configuration file over built-in defaults.
 */
#include "bounced-config.h"
#include "parser-options.h"
#include "cli.h"

#include <string.h>

void
parser_options_init (ParserOptions *options)
{
  *options = (ParserOptions) {
    .max_size = -1, .max_depth = -1, .max_parts = -1, .max_rcpts = -1, .max_field = -1,
  };
}

void
parser_options_add (ParserOptions *options, GOptionContext *context)
{
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &options->config_path,
      "Configuration file (default $BOUNCED_CONFIG, else " BOUNCED_SYSCONFDIR
      "/bounced/bounced.conf if it exists)", "FILE" },
    { "campaign-header", 0, 0, G_OPTION_ARG_STRING, &options->campaign,
      "Header of the returned message that names the campaign (default X-Campaign-ID)", "NAME" },
    { "rules", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &options->rules_files,
      "Local classification rules (repeatable), consulted before the built-in ones", "FILE" },
    { "max-message-size", 0, 0, G_OPTION_ARG_INT64, &options->max_size,
      "Largest message read, in bytes (default 33554432)", "BYTES" },
    { "max-mime-depth", 0, 0, G_OPTION_ARG_INT64, &options->max_depth,
      "Deepest MIME nesting accepted (default 32)", "N" },
    { "max-mime-parts", 0, 0, G_OPTION_ARG_INT64, &options->max_parts,
      "Most MIME parts accepted in one message (default 1000)", "N" },
    { "max-recipients", 0, 0, G_OPTION_ARG_INT64, &options->max_rcpts,
      "Most recipients accepted in one report (default 10000)", "N" },
    { "max-field-length", 0, 0, G_OPTION_ARG_INT64, &options->max_field,
      "Longest field value kept, in bytes; longer ones are truncated (default 65536)", "BYTES" },
    { NULL }
  };

  cli_add_entries (context, entries);
}

gboolean
parser_options_configure (const ParserOptions *options, Config *config,
                          GError **error_out)
{
  const char *env = g_getenv ("BOUNCED_CONFIG");
  gboolean explicit = options->config_path != NULL || (env != NULL && *env != '\0');
  g_autofree char *path = options->config_path ? g_strdup (options->config_path)
                                               : config_default_file ();

  if (!config_load_file (config, path, explicit, error_out))
    return FALSE;
  config_apply_environment (config);

  if (options->max_size == 0 || options->max_depth == 0 || options->max_parts == 0
      || options->max_rcpts == 0 || options->max_field == 0 || options->max_size < -1
      || options->max_depth < -1 || options->max_parts < -1 || options->max_rcpts < -1
      || options->max_field < -1)
    {
      g_set_error (error_out, CONFIG_ERROR, CONFIG_ERROR_INVALID,
                   "limits must be positive numbers");
      return FALSE;
    }
  if (options->campaign != NULL)
    {
      g_free (config->campaign_header);
      config->campaign_header = g_strdup (options->campaign);
    }
  for (guint i = 0; options->rules_files != NULL && options->rules_files[i] != NULL; i++)
    g_ptr_array_add (config->rules_files, g_strdup (options->rules_files[i]));
  if (options->max_size > 0)
    config->max_message_size = (gsize) options->max_size;
  if (options->max_depth > 0)
    config->max_mime_depth = (guint) MIN (options->max_depth, G_MAXUINT32);
  if (options->max_parts > 0)
    config->max_mime_parts = (guint) MIN (options->max_parts, G_MAXUINT32);
  if (options->max_rcpts > 0)
    config->max_recipients = (guint) MIN (options->max_rcpts, G_MAXUINT32);
  if (options->max_field > 0)
    config->max_field_length = (gsize) options->max_field;
  return TRUE;
}

void
parser_options_clear (ParserOptions *options)
{
  g_clear_pointer (&options->config_path, g_free);
  g_clear_pointer (&options->campaign, g_free);
  g_clear_pointer (&options->rules_files, g_strfreev);
}
