/* cmd-parse.c - `bounced parse`: messages in, JSON out, no database
 *
 * A pipeline over all cores: the main thread walks the inputs and cuts them
 * into batches; worker threads read and parse a batch each and render its
 * output; the main thread writes finished batches in input order.  At most
 * PARSE_WINDOW_PER_THREAD batches per thread are in flight, so memory is flat
 * in the number of inputs.
 */
#include "commands.h"
#include "cli.h"
#include "input-walk.h"
#include "mbox.h"
#include "msgfile.h"
#include "parser-options.h"
#include "report-json.h"

#include <stdio.h>
#include <string.h>

#define PARSE_BATCH_SIZE 32
#define PARSE_WINDOW_PER_THREAD 4

typedef enum { FORMAT_JSONL, FORMAT_JSON, FORMAT_TABLE } OutputFormat;

/* One input: a file to read, or a message of an mbox read already (@data),
 * or one the mbox reader refused (@error). */
typedef struct {
  char *source;            /* the path, or "MBOX#N" */
  GBytes *data;
  char *error;
} Input;

static void
input_free (gpointer data)
{
  Input *input = data;

  g_free (input->source);
  if (input->data != NULL)
    g_bytes_unref (input->data);
  g_free (input->error);
  g_free (input);
}

typedef struct {
  GPtrArray *paths;        /* Input* */
  GString *out;
  guint failures;
  gboolean done;
} Batch;

typedef struct {
  const BounceSettings *settings;
  OutputFormat format;
  GMutex lock;
  GCond cond;
} Shared;

static void
batch_free (Batch *batch)
{
  g_ptr_array_unref (batch->paths);
  g_string_free (batch->out, TRUE);
  g_free (batch);
}

/* Parses one input and appends its output to @out; returns FALSE if the
 * input could not be read or parsed. */
static gboolean
parse_one (const Input *input, const BounceSettings *settings, OutputFormat format,
           GByteArray *buffer, GString *out, gboolean first)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BounceReport) report = NULL;
  const char *path = input->source;
  char sha[65];
  gboolean have_sha = FALSE;
  gboolean have_bytes = FALSE;

  if (input->data != NULL)
    {
      gsize len = 0;
      const guint8 *bytes = g_bytes_get_data (input->data, &len);

      g_byte_array_set_size (buffer, 0);
      g_byte_array_append (buffer, bytes, (guint) len);
      have_bytes = TRUE;
    }
  else if (input->error == NULL)
    have_bytes = msgfile_read (path, settings->max_message_size, buffer, &error);
  if (have_bytes)
    {
      msgfile_sha256 (buffer->data, buffer->len, sha);
      have_sha = TRUE;
      report = bounce_report_parse ((const char *) buffer->data, buffer->len, settings, &error);
    }
  if (report == NULL)
    report = bounce_report_new_error (input->error ? input->error
                                      : error ? error->message : "could not parse");

  switch (format)
    {
    case FORMAT_JSONL:
      report_json_append (out, path, have_sha ? sha : NULL, report);
      g_string_append_c (out, '\n');
      break;
    case FORMAT_JSON:
      g_string_append (out, first ? "\n  " : ",\n  ");
      report_json_append (out, path, have_sha ? sha : NULL, report);
      break;
    case FORMAT_TABLE:
      report_json_append_table_rows (out, path, report);
      break;
    }
  return report->kind != BOUNCE_KIND_ERROR;
}

static void
work (gpointer data, gpointer user_data)
{
  Batch *batch = data;
  Shared *shared = user_data;
  g_autoptr(GByteArray) buffer = g_byte_array_new ();

  for (guint i = 0; i < batch->paths->len; i++)
    if (!parse_one (g_ptr_array_index (batch->paths, i), shared->settings,
                    shared->format, buffer, batch->out, FALSE))
      batch->failures++;

  g_mutex_lock (&shared->lock);
  batch->done = TRUE;
  g_cond_broadcast (&shared->cond);
  g_mutex_unlock (&shared->lock);
}

/* Writes and frees the finished batches at the head of @window; with @wait,
 * waits for the head to finish first.  Returns the failures written. */
static guint
flush (GQueue *window, Shared *shared, gboolean wait, gboolean *first)
{
  guint failures = 0;

  for (;;)
    {
      Batch *head = g_queue_peek_head (window);

      if (head == NULL)
        break;
      g_mutex_lock (&shared->lock);
      while (wait && !head->done)
        g_cond_wait (&shared->cond, &shared->lock);
      if (!head->done)
        {
          g_mutex_unlock (&shared->lock);
          break;
        }
      g_mutex_unlock (&shared->lock);
      g_queue_pop_head (window);
      if (shared->format == FORMAT_JSON && *first && head->out->len > 0)
        {
          /* The first object of the array goes without a comma. */
          g_string_erase (head->out, 0, 1);
          *first = FALSE;
        }
      fwrite (head->out->str, 1, head->out->len, stdout);
      failures += head->failures;
      batch_free (head);
      wait = FALSE;
    }
  return failures;
}

int
cmd_parse (int argc, char **argv, const BounceSettings *base_settings)
{
  g_autofree char *format_name = NULL;
  g_auto(GStrv) inputs = NULL;
  gint64 threads = 0;
  GOptionEntry entries[] = {
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format_name,
      "Output format: jsonl (default), json or table", "FORMAT" },
    { "threads", 'j', 0, G_OPTION_ARG_INT64, &threads,
      "Parsing threads (default: the configuration's, else one per core)", "N" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &inputs, NULL, "FILE|DIR..." },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("FILE|DIR... - print what bounce messages say");
  g_autoptr(GError) error = NULL;
  g_autoptr(BounceRules) rules = NULL;
  g_autoptr(Config) config = config_new ();
  g_autoptr(InputWalk) walk = NULL;
  g_autoptr(GQueue) window = g_queue_new ();
  BounceSettings settings = *base_settings;
  ParserOptions options;
  Shared shared = { 0 };
  GThreadPool *pool;
  Batch *batch = NULL;
  guint failures = 0, window_max;
  gboolean first = TRUE;
  char *path;
  int status = 2;

  parser_options_init (&options);
  cli_add_entries (context, entries);
  parser_options_add (&options, context);
  g_option_context_set_summary (context,
    "Prints one JSON object per input file (see bounced(1), OUTPUT).\n"
    "A directory is read recursively (Maildir cur/ and new/ included);\n"
    "\"-\" reads standard input.  The configuration file gives the\n"
    "campaign header, rules files and limits unless options say otherwise.");
  if (!cli_parse (context, &argc, &argv))
    goto out;
  if (inputs == NULL || inputs[0] == NULL)
    {
      cli_usage_error ("no input given");
      goto out;
    }
  if (format_name == NULL || strcmp (format_name, "jsonl") == 0)
    shared.format = FORMAT_JSONL;
  else if (strcmp (format_name, "json") == 0)
    shared.format = FORMAT_JSON;
  else if (strcmp (format_name, "table") == 0)
    shared.format = FORMAT_TABLE;
  else
    {
      cli_usage_error ("invalid value of --format: \"%s\" (use jsonl, json or table)", format_name);
      goto out;
    }
  if (threads < 0)
    {
      cli_usage_error ("invalid value of --threads: %" G_GINT64_FORMAT " (a positive number)", threads);
      goto out;
    }
  if (!parser_options_configure (&options, config, &error)
      || !config_parse_settings (config, &settings, &rules, &error))
    {
      g_printerr ("bounced parse: %s\n", error->message);
      goto out;
    }
  if (threads == 0)
    threads = config->threads;
  if (threads == 0)
    threads = g_get_num_processors ();
  shared.settings = &settings;
  g_mutex_init (&shared.lock);
  g_cond_init (&shared.cond);
  pool = g_thread_pool_new (work, &shared, (gint) threads, TRUE, NULL);
  window_max = (guint) threads * PARSE_WINDOW_PER_THREAD;

  if (shared.format == FORMAT_JSON)
    fputs ("[", stdout);
  else if (shared.format == FORMAT_TABLE)
    {
      g_autoptr(GString) header = g_string_new (NULL);
      report_json_append_table_header (header);
      fputs (header->str, stdout);
    }

  walk = input_walk_new (inputs);
  while ((path = input_walk_next (walk)) != NULL)
    {
      /* An mbox is its messages, read here in order and parsed by the
       * pool like files (memory: a window of batches, as for files). */
      g_autoptr(Mbox) mbox = mbox_sniff (path) ? mbox_open (path, NULL) : NULL;
      gboolean more = TRUE;
      guint given = 0;

      while (more)
        {
          Input *input = g_new0 (Input, 1);
          gboolean is_stdin = FALSE;

          if (mbox != NULL)
            {
              g_autoptr(GByteArray) bytes = g_byte_array_new ();
              g_autoptr(GError) mbox_error = NULL;
              guint ordinal = 0;

              switch (mbox_next (mbox, settings.max_message_size, bytes, &ordinal, &mbox_error))
                {
                case MBOX_NEXT_MESSAGE:
                  /* A message saved with its From_ line is the file. */
                  input->source = mbox_is_single (mbox) ? g_strdup (path)
                                                        : mbox_source (path, ordinal);
                  input->data = g_byte_array_free_to_bytes (g_steal_pointer (&bytes));
                  break;
                case MBOX_NEXT_TOO_LARGE:
                  input->source = mbox_source (path, ordinal);
                  input->error = g_strdup (mbox_error->message);
                  break;
                case MBOX_NEXT_FAILED:
                  input->source = g_strdup (path);
                  input->error = g_strdup (mbox_error->message);
                  more = FALSE;
                  break;
                case MBOX_NEXT_END:
                default:
                  more = FALSE;
                  if (given == 0)
                    {
                      /* No message found after the From_ line: the file is
                       * read as one message, never dropped unseen. */
                      input->source = g_strdup (path);
                      break;
                    }
                  input_free (input);
                  input = NULL;
                  break;
                }
              given++;
            }
          else
            {
              input->source = g_strdup (path);
              is_stdin = strcmp (path, "-") == 0;
              more = FALSE;
            }
          if (input == NULL)
            break;
          if (batch == NULL)
            {
              batch = g_new0 (Batch, 1);
              batch->paths = g_ptr_array_new_with_free_func (input_free);
              batch->out = g_string_new (NULL);
            }
          g_ptr_array_add (batch->paths, input);
          /* Standard input is read by its own batch at once, in order. */
          if (batch->paths->len == PARSE_BATCH_SIZE || is_stdin)
            {
              g_queue_push_tail (window, batch);
              g_thread_pool_push (pool, batch, NULL);
              batch = NULL;
              failures += flush (window, &shared, g_queue_get_length (window) >= window_max,
                                 &first);
            }
        }
      g_free (path);
    }
  if (batch != NULL)
    {
      g_queue_push_tail (window, batch);
      g_thread_pool_push (pool, batch, NULL);
    }
  while (!g_queue_is_empty (window))
    failures += flush (window, &shared, TRUE, &first);
  g_thread_pool_free (pool, FALSE, TRUE);
  g_mutex_clear (&shared.lock);
  g_cond_clear (&shared.cond);

  if (shared.format == FORMAT_JSON)
    fputs (first ? "]\n" : "\n]\n", stdout);
  if (fflush (stdout) != 0 || ferror (stdout))
    {
      g_printerr ("bounced parse: could not write output\n");
      status = 1;
      goto out;
    }
  status = failures > 0 ? 1 : 0;
out:
  parser_options_clear (&options);
  return status;
}
