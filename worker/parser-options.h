/* parser-options.h - the command-line options every command that parses mail
 * shares (configuration file, campaign header, rules files, parser limits),
 * and how they combine with the configuration file and the environment */
#pragma once

#include <glib.h>
#include "config.h"

G_BEGIN_DECLS

/* Values given on the command line; -1 or NULL when not given. */
typedef struct {
  char *config_path;
  char *campaign;
  char **rules_files;
  gint64 max_size;
  gint64 max_depth;
  gint64 max_parts;
  gint64 max_rcpts;
  gint64 max_field;
} ParserOptions;

/* Marks every option as not given. */
void parser_options_init (ParserOptions *options);

/* Adds the options to @context's main group (the entries point into
 * @options, which must outlive the parse of the command line). */
void parser_options_add (ParserOptions *options, GOptionContext *context);

/**
 * parser_options_configure:
 * Loads the configuration file (the --config one, else $BOUNCED_CONFIG, else
 * the default file when it exists), then the environment, then the command
 * line, in that order of precedence from last to first, into @config.
 * Fails with a message naming the file, key or option that is wrong.
 */
gboolean parser_options_configure (const ParserOptions *options, Config *config,
                                   GError **error_out);

void parser_options_clear (ParserOptions *options);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ParserOptions, parser_options_clear)

G_END_DECLS
