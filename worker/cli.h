/* cli.h - one voice for the command line: options, messages, exit status
 *
 * Every command parses its options through cli_parse(), prints its errors
 * through cli_error() ("bounced COMMAND: message", PostgreSQL style: lower
 * case, the object first, the fix after a semicolon where there is one), and
 * exits with one of the statuses below, documented in bounced(1), EXIT STATUS.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Exit statuses, the same for every command. */
#define CLI_EXIT_OK          0   /* done; `status`: healthy */
#define CLI_EXIT_FAILED      1   /* some input or the run failed; `status`: unhealthy */
#define CLI_EXIT_USAGE       2   /* bad usage, configuration, or a path that is not
                                  * what the command reads */
#define CLI_EXIT_UNAVAILABLE 3   /* the database could not be reached (`db status`:
                                  * the private cluster does not run) */
#define CLI_EXIT_INCIDENT    4   /* `report`: a sender-side incident is open */

/**
 * cli_set_command:
 * Names the command for every later message ("ingest", "sends import").
 * @command is borrowed: a string literal.
 */
void cli_set_command (const char *command);

/* The command named by cli_set_command() ("bounced" before). */
const char *cli_command (void);

/* Prints "bounced COMMAND: MESSAGE" on standard error. */
void cli_error (const char *format, ...) G_GNUC_PRINTF (1, 2);

/* cli_error(), then "Try "bounced COMMAND --help"."; returns CLI_EXIT_USAGE. */
int cli_usage_error (const char *format, ...) G_GNUC_PRINTF (1, 2);

/**
 * cli_add_entries:
 * g_option_context_add_main_entries(), remembering which short options take
 * a value, so that cli_parse() accepts "-j2" and "-ftable" as GLib users
 * expect ("-j 2" and "--format table" GLib accepts by itself).
 */
void cli_add_entries (GOptionContext *context, const GOptionEntry *entries);

/**
 * cli_normalize_argv:
 * @with_value: the short option letters that take a value.
 * Splits each "-XVALUE" whose X is in @with_value into "-X" "VALUE", up to
 * "--".  Returns: (transfer full) the new vector (the strings are copies).
 */
char **cli_normalize_argv (int argc, char **argv, const char *with_value, int *argc_out);

/**
 * cli_parse:
 * Parses the command line with @context after cli_normalize_argv(), and
 * rewraps GLib's own option errors in the command's voice, with a pointer to
 * --help.  On success *argc and *argv hold what remains (argv[0] first);
 * the vector is owned by this module until the process exits.
 * Returns: TRUE, or FALSE after printing the error (exit with CLI_EXIT_USAGE).
 */
gboolean cli_parse (GOptionContext *context, int *argc, char ***argv);

/* The message of a GLib option error in PostgreSQL's style: first letter in
 * lower case, typographic quotes made plain.  Returns: (transfer full). */
char *cli_option_message (const char *glib_message);

/**
 * cli_exit_status_of:
 * The exit status for a failure: CLI_EXIT_UNAVAILABLE for a database that
 * cannot be reached (STORE_ERROR_UNAVAILABLE), CLI_EXIT_USAGE for bad
 * connection settings (STORE_ERROR_CONFIG), else CLI_EXIT_FAILED.
 */
int cli_exit_status_of (const GError *error);

/* Prints a database error: its message and where the connection string came
 * from (@origin, nullable).  Returns cli_exit_status_of (@error). */
int cli_database_error (const GError *error, const char *origin);

G_END_DECLS
