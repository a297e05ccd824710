/* cmd-classify.c - `bounced classify`: one answer in, the verdict and why
 *
 * For people writing local rules (and for us): give a server's answer as
 * it appears in a bounce, with the codes beside it when they are not in
 * the text, and see the reason, the hard-bounce verdict, the status and
 * where it came from, the evidence and the rule (file:line) that decided.
 * Texts come as arguments, one each, or one per line on standard input.
 * No database, no mail message: the classifier of bounce_report_parse(),
 * with the configuration's rules files and --rules before the built-in ones.
 */
#include "commands.h"
#include "parser-options.h"

#include <stdio.h>
#include <string.h>

/* Longest line read from standard input. */
#define CLASSIFY_MAX_LINE (64u * 1024u)

typedef struct {
  const char *status;
  const char *reply_code;
  const char *command;
  const char *action;
  const char *remote_mta;
  const char *recipient;
  gboolean jsonl;
  const BounceRules *rules;
} Request;

static void
json_string (GString *out, const char *key, const char *value)
{
  g_string_append_printf (out, "%s\"%s\": ", out->len > 1 ? ", " : "", key);
  if (value == NULL)
    {
      g_string_append (out, "null");
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = value; *p; p++)
    {
      guchar c = (guchar) *p;
      if (c == '"' || c == '\\')
        g_string_append_printf (out, "\\%c", c);
      else if (c < 0x20)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, (char) c);
    }
  g_string_append_c (out, '"');
}

/* Describes the rule at @where ("FILE:LINE") as its file writes it. */
typedef struct {
  const char *where;
  GString *out;
} FindRule;

static void
find_rule (const BounceRuleInfo *rule, gpointer user_data)
{
  FindRule *find = user_data;
  g_autofree char *where = g_strdup_printf ("%s:%u", rule->file, rule->line);

  if (find->out->len > 0 || strcmp (where, find->where) != 0)
    return;
  g_string_append_printf (find->out, "%s %s \"%s\"%s%s", rule->reason, rule->kind, rule->pattern,
                          rule->conditions ? " " : "", rule->conditions ? rule->conditions : "");
}

static void
classify_one (const Request *req, const char *text, gboolean first)
{
  BounceClassifyInput in = {
    .diagnostic = text, .status = req->status, .reply_code = req->reply_code,
    .command = req->command, .action = req->action, .remote_mta = req->remote_mta,
    .recipient = req->recipient,
  };
  g_autoptr(BounceReport) report = bounce_classify (&in, req->rules);
  const BounceRecipient *r = g_ptr_array_index (report->recipients, 0);
  const char *where = bounce_recipient_rule_where (r);
  g_autoptr(GString) rule = g_string_new (NULL);
  g_autoptr(GString) out = g_string_new (NULL);

  if (where != NULL)
    {
      FindRule find = { where, rule };
      bounce_rules_foreach (NULL, find_rule, &find);
      if (rule->len == 0 && req->rules != NULL)
        bounce_rules_foreach (req->rules, find_rule, &find);
    }
  if (req->jsonl)
    {
      g_string_append_c (out, '{');
      json_string (out, "text", text);
      json_string (out, "reason", r->reason);
      g_string_append_printf (out, ", \"hard_bounce\": %s", r->hard_bounce ? "true" : "false");
      json_string (out, "status", r->status);
      json_string (out, "status_source", r->status_source);
      json_string (out, "reply_code", r->reply_code);
      json_string (out, "evidence", r->evidence);
      json_string (out, "rule_where", where);
      json_string (out, "rule", rule->len ? rule->str : NULL);
      g_string_append (out, "}\n");
    }
  else
    {
      if (!first)
        g_string_append_c (out, '\n');
      if (text != NULL)
        g_string_append_printf (out, "text           %s\n", text);
      g_string_append_printf (out, "reason         %s\n", r->reason);
      g_string_append_printf (out, "hard_bounce    %s\n", r->hard_bounce ? "true" : "false");
      g_string_append_printf (out, "status         %s%s%s%s\n", r->status ? r->status : "-",
                              r->status_source ? " (inferred from the " : "",
                              r->status_source ? r->status_source : "",
                              r->status_source ? ")" : "");
      if (r->reply_code != NULL)
        g_string_append_printf (out, "reply_code     %s\n", r->reply_code);
      g_string_append_printf (out, "evidence       %s\n", r->evidence ? r->evidence : "-");
      if (where != NULL)
        g_string_append_printf (out, "rule           %s: %s\n", where, rule->str);
    }
  fwrite (out->str, 1, out->len, stdout);
}

int
cmd_classify (int argc, char **argv, const BounceSettings *base_settings)
{
  g_autofree char *status = NULL, *reply = NULL, *command = NULL, *action = NULL;
  g_autofree char *remote = NULL, *recipient = NULL, *format = NULL;
  g_auto(GStrv) texts = NULL;
  GOptionEntry entries[] = {
    { "status", 0, 0, G_OPTION_ARG_STRING, &status, "The enhanced status code (RFC 3463)", "CODE" },
    { "reply-code", 0, 0, G_OPTION_ARG_STRING, &reply, "The SMTP reply code", "N" },
    { "command", 0, 0, G_OPTION_ARG_STRING, &command,
      "The SMTP command the answer was given to (connect, helo, mail, rcpt, data)", "CMD" },
    { "action", 0, 0, G_OPTION_ARG_STRING, &action, "failed (default) or delayed", "ACTION" },
    { "remote-mta", 0, 0, G_OPTION_ARG_STRING, &remote, "The host that answered", "HOST" },
    { "recipient", 0, 0, G_OPTION_ARG_STRING, &recipient, "The recipient's address", "ADDRESS" },
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format, "Output: text (default) or jsonl", "FORMAT" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &texts, NULL, "TEXT..." },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("[TEXT...] - explain how an answer is classified");
  g_autoptr(GError) error = NULL;
  g_autoptr(BounceRules) rules = NULL;
  g_autoptr(Config) config = config_new ();
  BounceSettings settings = *base_settings;
  ParserOptions options;
  Request req = { 0 };
  int status_code = 2;

  parser_options_init (&options);
  g_option_context_add_main_entries (context, entries, NULL);
  parser_options_add (&options, context);
  g_option_context_set_summary (context,
    "Prints the reason, hard-bounce verdict, status, evidence and deciding\n"
    "rule (file:line) for each TEXT, as the parser would classify a\n"
    "recipient whose server answered so.  Without TEXT, reads one text per\n"
    "line from standard input.  Local rules (--rules, the configuration's\n"
    "rules directory) come before the built-in ones.");
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bounced classify: %s\nTry \"bounced classify --help\".\n", error->message);
      goto out;
    }
  if (format != NULL && strcmp (format, "text") != 0 && strcmp (format, "jsonl") != 0)
    {
      g_printerr ("bounced classify: unknown format \"%s\" (use text or jsonl)\n", format);
      goto out;
    }
  if (status != NULL && !bounce_status_is_valid (status))
    {
      g_printerr ("bounced classify: invalid status \"%s\" (expected an RFC 3463 code like 5.1.1)\n",
                  status);
      goto out;
    }
  if (reply != NULL && (strlen (reply) != 3 || !g_ascii_isdigit (reply[0]) || reply[0] < '2'
                        || reply[0] > '5' || !g_ascii_isdigit (reply[1]) || !g_ascii_isdigit (reply[2])))
    {
      g_printerr ("bounced classify: invalid reply code \"%s\" (expected three digits like 550)\n", reply);
      goto out;
    }
  if (command != NULL)
    {
      static const char *const known[] = { "connect", "helo", "ehlo", "mail", "rcpt", "data" };
      gboolean ok = FALSE;
      for (gsize i = 0; i < G_N_ELEMENTS (known); i++)
        ok |= g_ascii_strcasecmp (command, known[i]) == 0;
      if (!ok)
        {
          g_printerr ("bounced classify: unknown command \"%s\" (use connect, helo, mail, rcpt or data)\n",
                      command);
          goto out;
        }
    }
  if (action != NULL && strcmp (action, "failed") != 0 && strcmp (action, "delayed") != 0)
    {
      g_printerr ("bounced classify: unknown action \"%s\" (use failed or delayed)\n", action);
      goto out;
    }
  status_code = 1;
  if (!parser_options_configure (&options, config, &error)
      || !config_parse_settings (config, &settings, &rules, &error))
    {
      g_printerr ("bounced classify: %s\n", error->message);
      goto out;
    }

  req = (Request) { status, reply, command, action, remote, recipient,
                    format != NULL && strcmp (format, "jsonl") == 0, rules };
  if (texts != NULL && texts[0] != NULL)
    for (guint i = 0; texts[i] != NULL; i++)
      classify_one (&req, texts[i], i == 0);
  else
    {
      g_autofree char *line = g_malloc (CLASSIFY_MAX_LINE);
      gboolean first = TRUE;

      while (fgets (line, CLASSIFY_MAX_LINE, stdin) != NULL)
        {
          gsize len = strlen (line);
          while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
          if (!g_utf8_validate (line, (gssize) len, NULL))
            {
              g_printerr ("bounced classify: standard input: a line is not valid UTF-8\n");
              goto out;
            }
          classify_one (&req, len > 0 ? line : NULL, first);
          first = FALSE;
        }
    }
  if (fflush (stdout) != 0 || ferror (stdout))
    {
      g_printerr ("bounced classify: could not write output\n");
      goto out;
    }
  status_code = 0;
out:
  parser_options_clear (&options);
  return status_code;
}
