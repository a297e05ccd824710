/* bounced.c - the bounced(1) program: global options and subcommands */
#include "bounced-config.h"
#include "allocator.h"
#include "commands.h"
#include "cli.h"

#include <locale.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  const char *name;
  const char *summary;
  int (*run) (int argc, char **argv, const BounceSettings *settings);
} Command;

static const Command commands[] = {
  { "parse", "print what bounce messages say, as JSON (no database)", cmd_parse },
  { "classify", "explain how a server's answer is classified (no database)", cmd_classify },
  { "rules", "list or check the classification rules", cmd_rules },
  { "ingest", "store the bounces of Maildirs in PostgreSQL, then exit", cmd_ingest },
  { "watch", "store bounces as they arrive in Maildirs, until stopped", cmd_watch },
  { "status", "is the pipeline healthy? (database, backlog, workers, last batch)", cmd_status },
  { "migrate", "apply pending database schema migrations", cmd_migrate },
  { "db", "start, stop or show the private PostgreSQL cluster", cmd_db },
  { "reprocess", "reclassify archived bounces, update what changed", cmd_reprocess },
  { "recompute", "apply the suppression thresholds to every address", cmd_recompute },
  { "suppress", "suppress addresses (operator decision)", cmd_suppress },
  { "unsuppress", "lift the suppression of addresses", cmd_unsuppress },
  { "sends", "import send counts (sends import FILE.csv)", cmd_sends },
  { "report", "summary of what is stored (table, JSON, HTML)", cmd_report },
  { "suppression", "the suppression list for mailers (suppression export)", cmd_suppression },
  { "show", "a stored message, its outcomes and where its file is", cmd_show },
  { "retention", "drop the outcomes of old months (retention --older-than N)", cmd_retention },
};

static void
usage (FILE *to)
{
  fprintf (to,
           "Usage: bounced COMMAND [OPTION...] [ARG...]\n"
           "\n"
           "Turns a bounce mailbox into SQL.\n"
           "\n"
           "Commands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (to, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf (to,
           "\n"
           "Options:\n"
           "  -h, --help     show this help (COMMAND --help for a command's)\n"
           "  -V, --version  show the version of bounced and of its classifier\n"
           "\n"
           "See bounced(1) for details.\n");
}

int
main (int argc, char **argv)
{
  BounceSettings settings;

  setlocale (LC_ALL, "");
  /* libcrypto (SHA-256 in the parse threads, TLS in libpq) frees every
   * thread's state from an atexit handler; a pool thread still running its
   * own thread-exit destructor at that moment frees the same state again
   * (a double free ASan caught at the end of an ingest).  Before libpq or
   * a digest initialises it: no cleanup at exit, the process's end frees
   * the memory, and each thread frees its own state as it ends. */
  OPENSSL_init_crypto (OPENSSL_INIT_NO_ATEXIT, NULL);
  bounce_settings_init (&settings);

  if (argc < 2)
    {
      usage (stderr);
      return 2;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
      || strcmp (argv[1], "help") == 0)
    {
      usage (stdout);
      return 0;
    }
  if (strcmp (argv[1], "--version") == 0 || strcmp (argv[1], "-V") == 0)
    {
      printf ("bounced %s (classifier %s, allocator %s)\n", BOUNCED_VERSION,
              bounce_classifier_version (), allocator_describe ());
      return 0;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      {
        cli_set_command (commands[i].name);
        return commands[i].run (argc - 1, argv + 1, &settings);
      }

  return cli_usage_error ("unknown command \"%s\"", argv[1]);
}
