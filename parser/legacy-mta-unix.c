/* legacy-mta-unix.c - plain-text notices of the free Unix MTAs
 *
 * Postfix (bounce(8) templates), Sendmail V8 and V5 (savemail.c errbody),
 * Exim (deliver.c), qmail and its descendants (qmail-send.c), Courier
 * (courierdsn), OpenSMTPD (bounce.c) and the DragonFly Mail Agent.  Each
 * recogniser follows the layout the program writes: where the failed
 * address stands, which lines are its diagnostic, what ends the notice's
 * own text.  RFC 5321 4.2.1 multi-line replies are joined into one line.
 *
 * Invariant: a recogniser returns FALSE, with the report untouched, unless a
 * marker of its program stands where the program puts it.
 */
#include "legacy-mta-private.h"

#include <string.h>

/* Length of the leading blanks of @line. */
static gsize
indent_of (const char *line, gsize len)
{
  gsize i = 0;

  while (i < len && (line[i] == ' ' || line[i] == '\t'))
    i++;
  return i;
}

/* Whether @line (after @skip bytes) starts with "<addr>" holding an '@';
 * sets the span of the bracketed address and returns the byte after '>'. */
static const char *
bracketed_head (const char *line, gsize len, gsize skip)
{
  const char *gt;

  if (len <= skip || line[skip] != '<')
    return NULL;
  gt = memchr (line + skip, '>', len - skip);
  if (gt == NULL || memchr (line + skip, '@', (gsize) (gt - line - (gssize) skip)) == NULL)
    return NULL;
  if (memchr (line + skip, ' ', (gsize) (gt - line - (gssize) skip)) != NULL)
    return NULL;
  return gt + 1;
}

/* ---- Postfix ------------------------------------------------------------ */

/* bounce(8) templates (bounce_template.c, and the older "Postfix program"
 * text): recipients are "<addr>: text" or "<addr> (expanded from <a>):
 * text" at the start of a line, continued by indented lines. */
static const char *const postfix_markers[] = {
  "This is the mail system at host",
  "This is the Postfix program at host",
  "I'm sorry to have to inform you that your message could not",
  "I'm sorry to have to inform you that the message returned",
  "# THIS IS A WARNING ONLY.",
};

static const char *const postfix_ends[] = {
  "--- Delivery report unavailable ---",
  "Content-Description: Delivery report",
  "Content-Type: message/delivery-status",
  "Reporting-MTA:",
  "Content-Description: Undelivered Message",
};

/* The SMTP server's notice to the postmaster (smtpd "errors from" mail,
 * RFC 5321 session transcript): "In:" is the client, "Out:" the server. */
static gboolean
postfix_transcript (BounceReport *report, const BounceView *view)
{
  const char *line;
  gsize line_len, pos = 0;
  g_autoptr(GPtrArray) rcpts = g_ptr_array_new ();
  g_autoptr(GString) last_error = g_string_new (NULL);
  g_autoptr(GString) prev_out = g_string_new (NULL);
  BounceRecipient *waiting = NULL;
  char last_code[4] = "";

  if (bounce_text_find (view->subject, -1, "Postfix SMTP server: errors from") == NULL
      || legacy_find_line (view->body, view->body_len, "Transcript of session follows") == NULL)
    return FALSE;
  while (bounce_text_next_line (view->body, view->body_len, &pos, &line, &line_len))
    {
      gsize ind = indent_of (line, line_len);
      const char *s = line + ind;
      gsize n = line_len - ind;

      if (n > 4 && g_ascii_strncasecmp (s, "In:", 3) == 0)
        {
          const char *cmd = s + 3;
          gsize cn = n - 3;
          while (cn > 0 && *cmd == ' ')
            cmd++, cn--;
          waiting = NULL;
          if (cn > 8 && g_ascii_strncasecmp (cmd, "RCPT TO:", 8) == 0)
            {
              const char *gt = memchr (cmd, '>', cn);
              waiting = legacy_add_named (report, view, cmd + 8,
                                          gt ? gt - cmd - 7 : (gssize) cn - 8, NULL, 0);
              if (waiting != NULL)
                g_ptr_array_add (rcpts, waiting);
            }
        }
      else if (n > 5 && g_ascii_strncasecmp (s, "Out:", 4) == 0)
        {
          const char *reply = s + 4;
          gsize rn = n - 4;
          while (rn > 0 && *reply == ' ')
            reply++, rn--;
          if (rn >= 3 && (reply[0] == '4' || reply[0] == '5'))
            {
              memcpy (last_code, reply, 3);
              g_string_truncate (last_error, 0);
              if (prev_out->len > 0 && prev_out->str[0] == '3')
                legacy_text_append (last_error, prev_out->str, prev_out->len);
              legacy_text_append (last_error, reply, rn);
              if (waiting != NULL)
                {
                  legacy_set_diagnostic (report, waiting, last_error);
                  waiting->reply_code = bounce_report_reply_code (report, reply, 3);
                }
            }
          waiting = NULL;
          g_string_assign (prev_out, "");
          g_string_append_len (prev_out, reply, (gssize) rn);
        }
    }
  for (guint i = 0; i < rcpts->len; i++)
    {
      BounceRecipient *r = g_ptr_array_index (rcpts, i);
      if (r->diagnostic == NULL)
        {
          legacy_set_diagnostic (report, r, last_error);
          r->reply_code = bounce_report_reply_code (report, last_code, 3);
        }
    }
  return TRUE;
}

gboolean
legacy_postfix_recognise (BounceReport *report, const BounceView *view)
{
  const char *start, *end, *line;
  gsize line_len, pos;
  BounceRecipient *rcpt = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  gboolean delayed, delivered;

  if (postfix_transcript (report, view))
    return TRUE;
  start = legacy_mta_line_any (view, postfix_markers, G_N_ELEMENTS (postfix_markers));
  /* A translated or rewritten template keeps bounce(8)'s default subjects
   * and its "<addr>: text" lines. */
  if (start == NULL
      && (g_ascii_strcasecmp (view->subject, "Undelivered Mail Returned to Sender") == 0
          || g_ascii_strcasecmp (view->subject, "Delayed Mail (still being retried)") == 0))
    start = view->body;
  if (start == NULL || !legacy_mta_from_daemon (view))
    return FALSE;
  delayed = legacy_find_line (view->body, view->body_len, "# THIS IS A WARNING ONLY.") != NULL
            || bounce_text_find (view->subject, -1, "Delayed Mail") != NULL;
  /* The success template of bounce(8) (DSN NOTIFY=SUCCESS, or "sendmail
   * -v") lists delivered recipients in the same layout. */
  delivered = bounce_text_find (view->body, (gssize) view->body_len,
                                "Your message was successfully delivered to the destination") != NULL;
  end = legacy_mta_region_end (view, start, postfix_ends, G_N_ELEMENTS (postfix_ends));
  pos = (gsize) (start - view->body);
  while (bounce_text_next_line (view->body, (gsize) (end - view->body), &pos, &line, &line_len))
    {
      const char *after = bracketed_head (line, line_len, 0);

      if (after != NULL)
        {
          const char *colon;
          gsize rest;

          legacy_set_diagnostic (report, rcpt, text);
          g_string_truncate (text, 0);
          rest = line_len - (gsize) (after - line);
          /* "<a> (expanded from <b>): text": the text follows "):". */
          colon = memchr (after, ':', rest);
          if (colon == NULL && !(rest > 0 && after[0] == ' '))
            {
              rcpt = NULL;
              continue;
            }
          rcpt = legacy_add_named (report, view, line, after - line, NULL, 0);
          if (colon != NULL)
            legacy_text_append (text, colon + 1, line_len - (gsize) (colon + 1 - line));
          else
            /* A translated template's "<a> 宛のメールは配信できませんでした。":
             * the words follow the address. */
            legacy_text_append (text, after, rest);
          continue;
        }
      /* A translated template's lines are not always indented: the
       * recipient's paragraph runs to the next blank line. */
      if (rcpt != NULL && !legacy_line_is_blank (line, line_len))
        {
          /* The continuation of "(expanded from\n    <b>): text". */
          if (text->len == 0 && bracketed_head (line, line_len, indent_of (line, line_len)))
            {
              const char *colon = memchr (line, ':', line_len);
              if (colon != NULL)
                legacy_text_append (text, colon + 1, line_len - (gsize) (colon + 1 - line));
              continue;
            }
          legacy_text_append (text, line, line_len);
          continue;
        }
      legacy_set_diagnostic (report, rcpt, text);
      g_string_truncate (text, 0);
      rcpt = NULL;
    }
  legacy_set_diagnostic (report, rcpt, text);
  if (report->recipients->len == 0
      && legacy_find_line (view->body, view->body_len, "--- Delivery report unavailable ---") != NULL)
    {
      /* The queue file lost its recipient records: the returned message's
       * To is the only trace of the recipient. */
      g_autofree char *to = legacy_returned_to (view);
      if (to != NULL)
        legacy_add_named (report, view, to, -1, NULL, 0);
    }
  for (guint i = 0; i < report->recipients->len; i++)
    {
      BounceRecipient *r = g_ptr_array_index (report->recipients, i);
      if (delivered)
        r->action = "delivered";
      else if (delayed)
        r->action = "delayed";
      legacy_mta_remote_after (report, r, r->diagnostic, "host ");
      legacy_mta_remote_after (report, r, r->diagnostic, "connect to ");
      legacy_mta_remote_after (report, r, r->diagnostic, "delivery via ");
    }
  return legacy_mta_finish (report, view);
}

/* ---- Sendmail ----------------------------------------------------------- */

/* A session transcript (savemail.c: "----- Transcript of session follows
 * -----"): ">>> command" and "<<< reply" lines of the SMTP dialogue, and
 * the verdict lines "550 5.1.1 <addr>... User unknown" naming recipients. */
typedef struct {
  char *address;
  GString *text;
  char reply[4];
  /* The command the reply answered (">>> RCPT To:<a@b>"), or NULL. */
  const char *command;
} Verdict;

/* The command a transcript's client line sends (">>> RCPT To:<a@b>",
 * ">>> DATA", ">>> ." at the end of the data), as the JSON names it. */
static const char *
transcript_command (const char *s, gsize n)
{
  static const struct {
    const char *verb;
    const char *command;
  } verbs[] = {
    { "RCPT", "RCPT" }, { "MAIL", "MAIL" }, { "DATA", "DATA" }, { ".", "DATA" },
    { "BDAT", "DATA" }, { "EHLO", "EHLO" }, { "HELO", "HELO" }, { "LHLO", "EHLO" },
  };
  gsize len = 0;

  while (len < n && !g_ascii_isspace (s[len]))
    len++;
  for (gsize i = 0; i < G_N_ELEMENTS (verbs); i++)
    if (strlen (verbs[i].verb) == len && g_ascii_strncasecmp (s, verbs[i].verb, len) == 0)
      return verbs[i].command;
  return NULL;
}

static void
verdict_free (gpointer data)
{
  Verdict *v = data;

  g_free (v->address);
  g_string_free (v->text, TRUE);
  g_free (v);
}

/* Whether @s starts with a three-digit reply code and a blank. */
static gboolean
starts_with_code (const char *s, gsize n)
{
  return n >= 4 && s[0] >= '2' && s[0] <= '5' && g_ascii_isdigit (s[1])
         && g_ascii_isdigit (s[2]) && (s[3] == ' ' || s[3] == '-');
}

/* Whether @s is "program: text", a delivery program's message: a name of
 * letters, digits, '.', '_' or '-' and a colon, as mail.local and procmail
 * print them. */
static gboolean
local_mailer_line (const char *s, gsize n)
{
  gsize i = 0;

  while (i < n && (g_ascii_isalnum (s[i]) || s[i] == '.' || s[i] == '_' || s[i] == '-'))
    i++;
  return i > 0 && i + 2 < n && s[i] == ':' && s[i + 1] == ' ' && g_ascii_isalpha (s[0]);
}

static GPtrArray *
transcript_read (const char *from, const char *end, char **remote_out)
{
  GPtrArray *verdicts = g_ptr_array_new_with_free_func (verdict_free);
  g_autoptr(GString) exchange = g_string_new (NULL);
  g_autofree char *rcpt_to = NULL;
  char reply[4] = "";
  const char *command = NULL;
  /* Whether the exchange holds the server's reply lines ("<<< "): they
   * are the diagnostic, not Sendmail's own verdict line after them. */
  gboolean replied = FALSE;
  /* Whether a client line (">>> ") opened the exchange. */
  gboolean sent = FALSE;
  const char *line;
  gsize line_len, pos = 0, len = (gsize) (end - from);

  while (bounce_text_next_line (from, len, &pos, &line, &line_len))
    {
      gsize ind = indent_of (line, line_len);
      const char *s = line + ind;
      gsize n = line_len - ind;

      if (n == 0)
        continue;
      if (n > 17 && g_ascii_strncasecmp (s, "... while talking", 17) == 0
          && remote_out != NULL && *remote_out == NULL)
        {
          const char *to = bounce_text_find (s, (gssize) n, "talking to ");
          if (to != NULL)
            *remote_out = g_strndup (to + 11, n - (gsize) (to + 11 - s));
          continue;
        }
      if (n > 15 && g_ascii_strncasecmp (s, "While talking to", 16) == 0)
        {
          if (remote_out != NULL && *remote_out == NULL)
            *remote_out = g_strndup (s + 16, n - 16);
          continue;
        }
      if (n > 4 && strncmp (s, ">>> ", 4) == 0)
        {
          g_string_truncate (exchange, 0);
          reply[0] = '\0';
          replied = FALSE;
          sent = TRUE;
          g_clear_pointer (&rcpt_to, g_free);
          command = transcript_command (s + 4, n - 4);
          if (n > 12 && g_ascii_strncasecmp (s + 4, "RCPT To:", 8) == 0)
            rcpt_to = bounce_text_address (s + 12, (gssize) n - 12);
          continue;
        }
      if (n > 4 && strncmp (s, "<<< ", 4) == 0)
        {
          /* Pipelining (RFC 2920): Sendmail writes ">>> DATA" for the
           * group it sent, then the first refusal and its verdict; a reply
           * after the verdict is the DATA's own ("503 Need RCPT", "554 no
           * valid recipients"), so the verdict answered the RCPT. */
          if (!sent && exchange->len == 0 && verdicts->len > 0
              && starts_with_code (s + 4, n - 4))
            {
              Verdict *last = g_ptr_array_index (verdicts, verdicts->len - 1);

              if (last->command != NULL && strcmp (last->command, "DATA") == 0)
                last->command = "RCPT";
              continue;
            }
          if (reply[0] == '\0' && starts_with_code (s + 4, n - 4))
            memcpy (reply, s + 4, 3), reply[3] = '\0';
          if (!replied)
            g_string_truncate (exchange, 0);
          replied = TRUE;
          legacy_text_append (exchange, s + 4, n - 4);
          continue;
        }
      if (starts_with_code (s, n))
        {
          /* "550 5.1.1 <a@b>... User unknown": the verdict on a@b; a
           * verdict without an address ("421 host (smtp)... Deferred")
           * speaks of the recipient of the RCPT just sent, if any. */
          const char *dots = bounce_text_find (s, (gssize) n, "... ");
          g_autofree char *addr = NULL;
          Verdict *v;

          if (dots == NULL && n > 3 && s[n - 1] == '.' && s[n - 2] == '.' && s[n - 3] == '.')
            dots = s + n - 3;
          if (dots != NULL)
            addr = bounce_text_address (s, dots - s);
          if (addr == NULL && rcpt_to != NULL)
            addr = g_strdup (rcpt_to);
          if (addr == NULL)
            {
              g_string_truncate (exchange, 0);
              replied = sent = FALSE;
              command = NULL;
              continue;
            }
          v = g_new0 (Verdict, 1);
          v->address = g_steal_pointer (&addr);
          v->text = g_string_new (NULL);
          g_string_append_len (v->text, exchange->str, (gssize) exchange->len);
          if (!replied)
            legacy_text_append (v->text, s, n);
          v->command = command;
          if (reply[0] != '\0')
            memcpy (v->reply, reply, 4);
          else if (dots != NULL && dots + 4 <= s + n
                   && starts_with_code (dots + 4, n - (gsize) (dots + 4 - s)))
            memcpy (v->reply, dots + 4, 3), v->reply[3] = '\0';
          else
            memcpy (v->reply, s, 3), v->reply[3] = '\0';
          g_ptr_array_add (verdicts, v);
          g_string_truncate (exchange, 0);
          reply[0] = '\0';
          replied = FALSE;
          sent = FALSE;
          command = NULL;
          g_clear_pointer (&rcpt_to, g_free);
          continue;
        }
      /* "mail.local: unknown user: kijitora": a local mailer's own output,
       * which the verdict that follows reports ("554 <a@b>... Service
       * unavailable"); it says why. */
      if (local_mailer_line (s, n))
        {
          legacy_text_append (exchange, s, n);
          continue;
        }
      /* "kijitora... Deferred: Connection refused": a local verdict. */
      if (exchange->len == 0 && !sent && bounce_text_find (s, (gssize) n, "... ") != NULL)
        {
          Verdict *v = g_new0 (Verdict, 1);
          const char *dots = bounce_text_find (s, (gssize) n, "... ");
          v->address = bounce_text_address (s, dots - s);
          if (v->address == NULL)
            v->address = g_strndup (s, (gsize) (dots - s));
          v->text = g_string_new (NULL);
          legacy_text_append (v->text, s, n);
          g_ptr_array_add (verdicts, v);
        }
    }
  /* A RCPT with a reply but no verdict line. */
  if (rcpt_to != NULL && reply[0] != '\0')
    {
      Verdict *v = g_new0 (Verdict, 1);
      v->address = g_steal_pointer (&rcpt_to);
      v->text = g_string_new (exchange->str);
      v->command = command;
      memcpy (v->reply, reply, 4);
      g_ptr_array_add (verdicts, v);
    }
  return verdicts;
}

/* The verdict naming @address (by address, or by local part for the bare
 * local names of local deliveries), or NULL. */
static Verdict *
verdict_for (GPtrArray *verdicts, const char *address)
{
  const char *at = strchr (address, '@');

  for (guint i = 0; i < verdicts->len; i++)
    {
      Verdict *v = g_ptr_array_index (verdicts, i);
      if (bounce_text_address_equal (v->address, address))
        return v;
      /* "kijitora... Deferred": a local delivery names the local part. */
      if (at != NULL && strchr (v->address, '@') == NULL
          && strlen (v->address) == (gsize) (at - address)
          && g_ascii_strncasecmp (v->address, address, (gsize) (at - address)) == 0)
        return v;
    }
  return NULL;
}

static void
verdict_apply (BounceReport *report, BounceRecipient *rcpt, Verdict *v)
{
  if (rcpt == NULL || v == NULL)
    return;
  legacy_set_diagnostic (report, rcpt, v->text);
  if (rcpt->command == NULL)
    rcpt->command = v->command;
  if (v->reply[0] != '\0')
    rcpt->reply_code = bounce_report_reply_code (report, v->reply, -1);
}

static const char *const sendmail_lists[] = {
  "----- The following addresses had permanent fatal errors -----",
  "----- The following addresses had transient non-fatal errors -----",
  "----- The following addresses had permanent delivery errors -----",
  "----- The following addresses had delivery errors -----",
  "----- The following addresses have delivery notifications -----",
  "----- The following addresses had successful delivery notifications -----",
};

static const char *const sendmail_transcript[] = {
  "----- Transcript of session follows -----",
  "----- Transcript of the session follows -----",
};

static const char *const sendmail_ends[] = {
  "----- Original message follows -----",
  "----- Message header follows -----",
  "----- Unsent message follows -----",
  "----- Message body suppressed -----",
  "Content-Type: message/delivery-status",
  "Content-Type: message/rfc822",
  "Reporting-MTA:",
};

gboolean
legacy_sendmail_recognise (BounceReport *report, const BounceView *view)
{
  const char *list = legacy_mta_line_any (view, sendmail_lists, G_N_ELEMENTS (sendmail_lists));
  const char *transcript, *end, *line, *list_end, *transcript_end;
  gsize line_len, pos;
  g_autoptr(GPtrArray) verdicts = NULL;
  g_autofree char *remote = NULL;
  BounceRecipient *rcpt = NULL;
  g_autoptr(GString) reason = g_string_new (NULL);
  gboolean delayed;

  if (list == NULL || !legacy_mta_from_daemon (view))
    return FALSE;
  delayed = bounce_text_find (list, legacy_line_after (view->body, view->body_len, list) - list,
                              "transient non-fatal") != NULL
            || legacy_find_line (view->body, view->body_len, "**      THIS IS A WARNING MESSAGE ONLY") != NULL
            || bounce_text_find (view->subject, -1, "Warning: could not send message") != NULL;
  transcript = legacy_mta_line_any (view, sendmail_transcript, G_N_ELEMENTS (sendmail_transcript));
  end = legacy_mta_region_end (view, list, sendmail_ends, G_N_ELEMENTS (sendmail_ends));
  if (transcript != NULL && transcript > end)
    transcript = NULL;
  /* The list usually comes first; some versions write the transcript
   * first.  Each section ends where the other starts. */
  list_end = transcript != NULL && transcript > list ? transcript : end;
  transcript_end = transcript != NULL && transcript < list ? list : end;

  /* Mailers that drop the MIME headers of their DSN leave its status
   * fields in the text: those name the recipients best. */
  legacy_dsn_block (report, view);

  pos = (gsize) (legacy_line_after (view->body, view->body_len, list) - view->body);
  while (bounce_text_next_line (view->body, (gsize) (list_end - view->body), &pos, &line, &line_len))
    {
      gsize ind = indent_of (line, line_len);

      if (line_len == ind)
        continue;
      if (ind == 0 || (line[ind] != '(' && memchr (line, '@', line_len) != NULL))
        {
          const char *s = line + ind;
          gsize n = line_len - ind;
          /* Active!hunter's variant: ">>> a@b <a@b>". */
          if (n > 4 && strncmp (s, ">>> ", 4) == 0)
            s += 4, n -= 4;
          legacy_set_diagnostic (report, rcpt, reason);
          g_string_truncate (reason, 0);
          /* A bare local name ("kijitora", local delivery) is no mail
           * address: the DSN fields, when present, gave the full one. */
          rcpt = legacy_add_named (report, view, s, (gssize) n, NULL, 0);
          continue;
        }
      if (rcpt != NULL && line_len > ind + 8 && g_ascii_strncasecmp (line + ind, "(reason:", 8) == 0)
        {
          const char *s = line + ind + 8;
          gsize n = line_len - ind - 8;
          if (n > 0 && s[n - 1] == ')')
            n--;
          legacy_text_append (reason, s, n);
        }
    }
  legacy_set_diagnostic (report, rcpt, reason);

  if (transcript != NULL)
    {
      const char *tstart = legacy_line_after (view->body, view->body_len, transcript);
      verdicts = transcript_read (tstart, transcript_end, &remote);
      for (guint i = 0; i < verdicts->len; i++)
        {
          Verdict *v = g_ptr_array_index (verdicts, i);
          BounceRecipient *r = bounce_report_find_recipient (report, v->address);
          if (r == NULL && strchr (v->address, '@') == NULL)
            for (guint k = 0; k < report->recipients->len && r == NULL; k++)
              {
                BounceRecipient *c = g_ptr_array_index (report->recipients, k);
                if (verdict_for (verdicts, c->recipient) == v)
                  r = c;
              }
          if (r != NULL)
            {
              /* The transcript shows what the server said: better than the
               * one-line reason, unless the DSN fields gave a diagnostic. */
              if (r->diagnostic_type == NULL || r->diagnostic == NULL)
                {
                  r->diagnostic = NULL;
                  verdict_apply (report, r, v);
                }
              else if (r->reply_code == NULL && v->reply[0] != '\0')
                r->reply_code = bounce_report_reply_code (report, v->reply, -1);
            }
        }
      /* A recipient the transcript does not name gets the server's
       * answer of the session when there is exactly one recipient. */
      if (report->recipients->len == 1)
        {
          BounceRecipient *r = g_ptr_array_index (report->recipients, 0);
          if (verdict_for (verdicts, r->recipient) == NULL && verdicts->len == 0)
            {
              const char *t = tstart;
              g_autoptr(GString) all = g_string_new (NULL);
              gsize tpos = 0;
              while (bounce_text_next_line (t, (gsize) (transcript_end - t), &tpos, &line, &line_len))
                {
                  gsize ind = indent_of (line, line_len);
                  if (line_len - ind > 4 && strncmp (line + ind, "<<< ", 4) == 0)
                    legacy_text_append (all, line + ind + 4, line_len - ind - 4);
                }
              /* No dialogue at all: the transcript is the local verdict. */
              tpos = 0;
              if (all->len == 0)
                while (bounce_text_next_line (t, (gsize) (transcript_end - t), &tpos, &line, &line_len))
                  legacy_text_append (all, line, line_len);
              if (all->len > 0 && (r->diagnostic == NULL || !g_ascii_isdigit (r->diagnostic[0])))
                {
                  if (r->diagnostic_type == NULL)
                    legacy_set_diagnostic (report, r, all);
                  if (r->reply_code == NULL && starts_with_code (all->str, all->len))
                    r->reply_code = bounce_report_reply_code (report, all->str, 3);
                }
            }
        }
    }
  if (bounce_text_find (list, legacy_line_after (view->body, view->body_len, list) - list,
                        "successful delivery") != NULL)
    legacy_set_all (report, "delivered", remote);
  else
    legacy_set_all (report, delayed ? "delayed" : NULL, remote);
  return legacy_mta_finish (report, view);
}

/* Sendmail V5 and other old notices: no list of addresses, only the
 * transcript and the unsent message. */
gboolean
legacy_v5sendmail_recognise (BounceReport *report, const BounceView *view)
{
  const char *transcript, *end;
  g_autoptr(GPtrArray) verdicts = NULL;
  g_autofree char *remote = NULL;

  transcript = legacy_mta_line_any (view, sendmail_transcript, G_N_ELEMENTS (sendmail_transcript));
  if (transcript == NULL || !legacy_mta_from_daemon (view))
    return FALSE;
  end = legacy_mta_region_end (view, transcript, sendmail_ends, G_N_ELEMENTS (sendmail_ends));
  if (end == view->body + view->body_len && view->returned == NULL)
    return FALSE;
  verdicts = transcript_read (legacy_line_after (view->body, view->body_len, transcript), end, &remote);
  for (guint i = 0; i < verdicts->len; i++)
    {
      Verdict *v = g_ptr_array_index (verdicts, i);
      BounceRecipient *r = legacy_add_named (report, view, v->address, -1, NULL, 0);
      if (r != NULL && r->diagnostic == NULL)
        verdict_apply (report, r, v);
    }
  if (report->recipients->len == 0)
    {
      /* "421 example.com (smtp)... Deferred": the notice names the host
       * only; the unsent message says to whom. */
      g_autofree char *to = legacy_returned_to (view);
      if (to != NULL)
        {
          g_autoptr(GString) text = g_string_new (NULL);
          const char *line;
          gsize line_len, pos = (gsize) (legacy_line_after (view->body, view->body_len, transcript) - view->body);
          BounceRecipient *r;

          while (bounce_text_next_line (view->body, (gsize) (end - view->body), &pos, &line, &line_len))
            legacy_text_append (text, line, line_len);
          r = legacy_add_named (report, view, to, -1, NULL, 0);
          legacy_set_diagnostic (report, r, text);
        }
    }
  if (report->recipients->len == 0 && view->returned == NULL)
    return FALSE;
  for (guint i = 0; i < report->recipients->len; i++)
    {
      BounceRecipient *r = g_ptr_array_index (report->recipients, i);
      if (r->diagnostic != NULL && bounce_text_find (r->diagnostic, -1, "Deferred") != NULL
          && bounce_text_find (view->subject, -1, "Warning") != NULL)
        r->action = "delayed";
    }
  legacy_set_all (report, NULL, remote);
  return legacy_mta_finish (report, view);
}

/* ---- Exim --------------------------------------------------------------- */

/* deliver.c: "  address\n    detail lines" after "The following
 * address(es) failed:", or the delay warning "The address(es) to which
 * the message has not yet been delivered". */
static const char *const exim_starts[] = {
  "address(es) failed:",
  "incorrectly constructed:",
  "was rejected by the local scanning code",
  "router encountered the following error(s):",
  "following address failed:",
  "following addresses failed:",
  "has not yet been delivered is:",
  "have not yet been delivered are:",
  "has not yet been delivered are:",
};

static const char *const exim_ends[] = {
  "------ This is a copy of the message",
  "------ The body of the message is",
  "------ This is a copy of the body of the message",
  "----- This is a copy of the message",
  "No action is required on your part",
  "Included is a copy of the message header",
  "--- The header of the original message is following",
  "Reporting-MTA:",
};

static const char *const exim_detail_skips[] = {
  "(generated from", "generated by", "(ultimately generated from",
};

/* deliver.c adds what a pipe or a filter printed: "The following text was
 * generated during the delivery attempt:" then "------ pipe to |cmd\n
 * generated by a@b ------" and the text, up to the next "------ " line.
 * It belongs to the recipient the section's head names, or to the only
 * one. */
static void
exim_generated_text (BounceReport *report, const BounceView *view, const char *from)
{
  const char *intro = legacy_find_line (from, view->body_len - (gsize) (from - view->body),
                                        "The following text was generated during the delivery attempt");
  const char *line;
  gsize line_len, pos;
  g_autoptr(GString) section = g_string_new (NULL);
  g_autoptr(GString) head = g_string_new (NULL);
  gboolean in_head = FALSE, in_text = FALSE;

  if (intro == NULL || report->recipients->len == 0)
    return;
  pos = (gsize) (legacy_line_after (view->body, view->body_len, intro) - view->body);
  while (bounce_text_next_line (view->body, view->body_len, &pos, &line, &line_len))
    {
      if (line_len >= 7 && strncmp (line, "------ ", 7) == 0)
        {
          if (in_text)
            break;
          in_head = TRUE;
        }
      if (in_head)
        {
          legacy_text_append (head, line, line_len);
          if (line_len >= 6 && strncmp (line + line_len - 6, "------", 6) == 0)
            in_head = FALSE, in_text = TRUE;
          continue;
        }
      if (in_text)
        legacy_text_append (section, line, line_len);
    }
  if (section->len == 0)
    return;
  for (guint i = 0; i < report->recipients->len; i++)
    {
      BounceRecipient *r = g_ptr_array_index (report->recipients, i);
      g_autoptr(GString) text = NULL;

      if (report->recipients->len > 1 && strstr (head->str, r->recipient) == NULL)
        continue;
      text = g_string_new (r->diagnostic);
      legacy_text_append (text, section->str, section->len);
      legacy_set_diagnostic (report, r, text);
    }
}

/* For a template that rewords the sentence before the list: the first
 * indented line after the "created automatically" line that starts with an
 * address (or a pipe or file delivery), where the list is. */
static const char *
exim_first_entry (const BounceView *view)
{
  const char *intro = bounce_text_find (view->body, (gssize) view->body_len,
                                        "This message was created automatically by mail delivery software");
  const char *line;
  gsize line_len, pos;

  if (intro == NULL)
    return NULL;
  pos = (gsize) (legacy_line_after (view->body, view->body_len, intro) - view->body);
  while (bounce_text_next_line (view->body, view->body_len, &pos, &line, &line_len))
    {
      gsize ind = indent_of (line, line_len);
      const char *tok = line + ind, *tok_end = tok;

      if (ind == 0 || ind == line_len)
        continue;
      while (tok_end < line + line_len && *tok_end != ' ' && *tok_end != '\t')
        tok_end++;
      if (memchr (tok, '@', (gsize) (tok_end - tok)) != NULL
          || (line_len - ind > 8 && (strncmp (tok, "pipe to ", 8) == 0 || strncmp (tok, "save to ", 8) == 0)))
        return line;
      if (line_len >= 6 && strncmp (line, "------", 6) == 0)
        break;
    }
  return NULL;
}

gboolean
legacy_exim_recognise (BounceReport *report, const BounceView *view)
{
  const char *failed = bounce_view_header (view, "X-Failed-Recipients");
  const char *start = NULL, *end, *line;
  gsize line_len, pos;
  gsize head_indent = G_MAXSIZE;
  BounceRecipient *rcpt = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GString) head = g_string_new (NULL);
  g_autoptr(GString) orphan = g_string_new (NULL);
  gboolean delayed, automatic;

  automatic = bounce_text_find (view->body, (gssize) view->body_len,
                                "This message was created automatically by mail delivery software") != NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (exim_starts) && start == NULL; i++)
    start = bounce_text_find (view->body, (gssize) view->body_len, exim_starts[i]);
  /* moan.c's templates (malformed addresses, the local scanning code)
   * open with their own sentence instead of "created automatically". */
  if (failed == NULL && !((automatic || start != NULL) && legacy_mta_from_daemon (view)))
    return FALSE;
  if (start == NULL && automatic)
    start = exim_first_entry (view);
  if (start == NULL && failed == NULL)
    return FALSE;
  delayed = bounce_text_find (view->body, (gssize) view->body_len, "has not yet been delivered") != NULL
            || (bounce_text_find (view->subject, -1, "Warning: message") != NULL
                && bounce_text_find (view->subject, -1, "delayed") != NULL);
  if (start != NULL)
    {
      if (*start != ' ' && *start != '\t')
        start = legacy_line_after (view->body, view->body_len, start);
      end = legacy_mta_region_end (view, start, exim_ends, G_N_ELEMENTS (exim_ends));
      pos = (gsize) (start - view->body);
      while (bounce_text_next_line (view->body, (gsize) (end - view->body), &pos, &line, &line_len))
        {
          gsize ind = indent_of (line, line_len);
          const char *s = line + ind;
          gsize n = line_len - ind;

          if (n == 0)
            continue;
          if (head_indent == G_MAXSIZE)
            head_indent = ind;
          if (ind < head_indent)
            break;
          if (ind == head_indent)
            {
              /* A new address: "addr", "addr:", "<addr>: text", "pipe to |cmd",
               * "save to /path" (the address is then "generated by"). */
              const char *tok_end = s;
              g_autofree char *addr = NULL;

              if (rcpt != NULL)
                legacy_set_diagnostic (report, rcpt, text);
              else if (orphan->len == 0)
                g_string_append_len (orphan, text->str, (gssize) text->len);
              g_string_truncate (text, 0);
              g_string_truncate (head, 0);
              while (tok_end < s + n && *tok_end != ' ' && *tok_end != '\t')
                tok_end++;
              addr = bounce_text_address (s, tok_end - s);
              rcpt = addr ? legacy_add_named (report, view, addr, -1, NULL, 0) : NULL;
              if (rcpt == NULL)
                {
                  /* "pipe to |cmd", "save to /path": what failed is the
                   * delivery, and its description opens the diagnostic. */
                  g_string_append_len (head, s, (gssize) n);
                  legacy_text_append (text, s, n);
                }
              else if (tok_end < s + n)
                legacy_text_append (text, tok_end, n - (gsize) (tok_end - s));
              continue;
            }
          /* A detail line. */
          {
            gboolean skip = FALSE;
            for (gsize k = 0; k < G_N_ELEMENTS (exim_detail_skips); k++)
              if (n >= strlen (exim_detail_skips[k])
                  && g_ascii_strncasecmp (s, exim_detail_skips[k], strlen (exim_detail_skips[k])) == 0)
                {
                  if (rcpt == NULL && head->len > 0)
                    rcpt = legacy_add_named (report, view, s + strlen (exim_detail_skips[k]),
                                             (gssize) (n - strlen (exim_detail_skips[k])), NULL, 0);
                  skip = TRUE;
                }
            if (!skip)
              legacy_text_append (text, s, n);
            if (rcpt != NULL)
              legacy_mta_remote_after (report, rcpt, text->str, "host ");
          }
        }
      if (rcpt != NULL)
        legacy_set_diagnostic (report, rcpt, text);
      else if (orphan->len == 0)
        g_string_append_len (orphan, text->str, (gssize) text->len);
      exim_generated_text (report, view, end);
    }
  if (report->recipients->len > 0 && failed != NULL)
    {
      /* The header lists every failed address; an entry of the body that
       * names none ("save to /path" generated by a local name) leaves one
       * out. */
      g_auto(GStrv) list = g_strsplit (failed, ",", -1);
      for (char **a = list; *a; a++)
        {
          g_autofree char *addr = bounce_text_address (*a, -1);
          if (addr != NULL && bounce_report_find_recipient (report, addr) == NULL)
            {
              BounceRecipient *r = legacy_add_named (report, view, addr, -1, NULL, 0);
              if (r != NULL && orphan->len > 0)
                legacy_set_diagnostic (report, r, orphan);
            }
        }
    }
  else if (failed != NULL)
    {
      /* A template in another language: the header names the addresses;
       * the line naming each in the notice, and the indented lines under
       * it, are its diagnostic. */
      g_auto(GStrv) list = g_strsplit (failed, ",", -1);
      const char *limit = legacy_returned_start (view);
      gsize len = limit ? (gsize) (limit - view->body) : view->body_len;
      /* Each address is looked for in the notice: through an index of its
       * address words, not a search per address (quadratic). */
      g_auto(BounceWordIndex) index = { 0 };

      bounce_word_index_init (&index, view->body, len);
      for (char **a = list; *a; a++)
        {
          BounceRecipient *r = legacy_add_named (report, view, *a, -1, NULL, 0);
          const char *at;

          if (r == NULL || (at = bounce_word_index_find (&index, view->body, r->recipient)) == NULL)
            continue;
          g_string_truncate (text, 0);
          pos = (gsize) (legacy_line_after (view->body, len, at) - view->body);
          {
            const char *eol = view->body + pos;
            const char *rest = at + strlen (r->recipient);
            while (rest < eol && strchr (">:; \t\n", *rest) != NULL)
              rest++;
            if (rest < eol)
              legacy_text_append (text, rest, (gsize) (eol - rest));
          }
          while (bounce_text_next_line (view->body, len, &pos, &line, &line_len)
                 && line_len > 0 && (line[0] == ' ' || line[0] == '\t'))
            legacy_text_append (text, line, line_len);
          legacy_set_diagnostic (report, r, text);
          legacy_mta_remote_after (report, r, r->diagnostic, "host ");
        }
      /* "save to /path\n    generated by local-name": one entry whose
       * address only the header gives. */
      if (report->recipients->len == 1 && orphan->len > 0)
        {
          BounceRecipient *r = g_ptr_array_index (report->recipients, 0);
          if (r->diagnostic == NULL)
            legacy_set_diagnostic (report, r, orphan);
        }
    }
  legacy_set_all (report, delayed ? "delayed" : NULL, NULL);
  return legacy_mta_finish (report, view);
}

/* ---- qmail -------------------------------------------------------------- */

/* qmail-send.c and the MTAs built on it (netqmail, vpopmail, notqmail,
 * and unnamed descendants): "<addr>:" at a line start, then its text. */
static const char *const qmail_markers[] = {
  "Hi. This is the qmail-send program at",
  "This is the qmail-send program at",
  "I'm afraid I wasn't able to deliver your message to the following addresses.",
  "Unable to deliver message to the following address(es).",
  "Hi. This is the mail transport agent at",
  "I'm sorry, I wasn't able to deliver your message to the following addresses.",
};

static const char *const qmail_ends[] = {
  "--- Below this line is a copy of the message.",
  "--- Enclosed is a copy of the message.",
  "--- Original message follows.",
  "--- Enclosed are the original headers of the message.",
  "--- Below the next line is a copy of the message.",
  "--- Below this line is the original message.",
};

/* Cues after which qmail-remote names the server it spoke to. */
static const char *const qmail_hosts[] = {
  "Connected to ", "Giving up on ",
};

/* qmail-remote's sentences that open with the server's address. */
static const char *const qmail_host_sentences[] = {
  " does not like recipient.", " does not like sender.", " failed after I sent the message.",
  " failed on DATA command.",
};

static void
qmail_remote (BounceReport *report, BounceRecipient *rcpt)
{
  const char *d = rcpt->diagnostic;

  if (d == NULL)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (qmail_hosts) && rcpt->remote_mta == NULL; i++)
    legacy_mta_remote_after (report, rcpt, d, qmail_hosts[i]);
  /* "192.0.2.1 does not like recipient.": the address opens the diagnostic
   * or a sentence of it. */
  for (gsize i = 0; i < G_N_ELEMENTS (qmail_host_sentences) && rcpt->remote_mta == NULL; i++)
    {
      const char *hit = strstr (d, qmail_host_sentences[i]);
      const char *host = hit;

      if (hit == NULL)
        continue;
      while (host > d && host[-1] != ' ')
        host--;
      if (g_ascii_isdigit (*host) || g_ascii_isalpha (*host))
        legacy_set_remote (report, rcpt, host, hit - host);
    }
}

gboolean
legacy_qmail_recognise (BounceReport *report, const BounceView *view)
{
  const char *start = legacy_mta_line_any (view, qmail_markers, G_N_ELEMENTS (qmail_markers));
  const char *end, *line;
  gsize line_len, pos;
  BounceRecipient *rcpt = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  gboolean in_entry = FALSE;

  /* Descendants that reword the greeting keep qmail-send's "--- Below
   * this line is a copy of the message." and its "<addr>:" lines. */
  if (start == NULL && legacy_is_daemon_notice (view)
      && legacy_mta_line_any (view, qmail_ends, G_N_ELEMENTS (qmail_ends)) != NULL)
    start = view->body;
  if (start == NULL || !legacy_mta_from_daemon (view))
    return FALSE;
  end = legacy_mta_region_end (view, start, qmail_ends, G_N_ELEMENTS (qmail_ends));
  pos = (gsize) (start - view->body);
  while (bounce_text_next_line (view->body, (gsize) (end - view->body), &pos, &line, &line_len))
    {
      const char *after = bracketed_head (line, line_len, 0);

      if (after != NULL && after < line + line_len && *after == ':')
        {
          legacy_set_diagnostic (report, rcpt, text);
          g_string_truncate (text, 0);
          rcpt = legacy_add_named (report, view, line, after - line, NULL, 0);
          in_entry = TRUE;
          legacy_text_append (text, after + 1, line_len - (gsize) (after + 1 - line));
          continue;
        }
      if (!in_entry)
        continue;
      legacy_text_append (text, line, line_len);
    }
  legacy_set_diagnostic (report, rcpt, text);
  for (guint i = 0; i < report->recipients->len; i++)
    qmail_remote (report, g_ptr_array_index (report->recipients, i));
  return legacy_mta_finish (report, view);
}

/* ---- Courier ------------------------------------------------------------ */

static const char *const courier_markers[] = {
  "running the Courier mail server",
  "Your message to the following recipients cannot be delivered:",
  "Your message to the following recipients has been delayed",
};

gboolean
legacy_courier_recognise (BounceReport *report, const BounceView *view)
{
  const char *start = legacy_mta_find_any (view, courier_markers, G_N_ELEMENTS (courier_markers));
  const char *line;
  gsize line_len, pos;
  BounceRecipient *rcpt = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  gboolean delayed;

  /* courierdsn signs as "Courier mail server at host <@>" with the subject
   * "NOTICE: mail delivery status.": no daemon name in either. */
  if (start == NULL
      || !(legacy_mta_from_daemon (view) || bounce_text_find (view->from, -1, "Courier mail server") != NULL
           || bounce_text_find (view->subject, -1, "mail delivery status") != NULL))
    return FALSE;
  delayed = legacy_find_line (view->body, view->body_len, "DELAYED MAIL") != NULL;
  pos = (gsize) (start - view->body);
  while (bounce_text_next_line (view->body, view->body_len, &pos, &line, &line_len))
    {
      const char *after = bracketed_head (line, line_len, 0);

      if (after != NULL && after < line + line_len && *after == ':')
        {
          legacy_set_diagnostic (report, rcpt, text);
          g_string_truncate (text, 0);
          rcpt = legacy_add_named (report, view, line, after - line, NULL, 0);
          /* The first detail line is "host [address]:". */
          if (pos < view->body_len && rcpt != NULL)
            {
              gsize p2 = pos;
              const char *l2;
              gsize l2_len;
              if (bounce_text_next_line (view->body, view->body_len, &p2, &l2, &l2_len)
                  && l2_len > 0 && (l2[0] == ' ' || l2[0] == '\t'))
                legacy_set_remote (report, rcpt, l2, (gssize) l2_len);
            }
          continue;
        }
      if (rcpt == NULL)
        continue;
      if (line_len >= 10 && strncmp (line, "----------", 10) == 0)
        {
          legacy_set_diagnostic (report, rcpt, text);
          g_string_truncate (text, 0);
          rcpt = NULL;
          continue;
        }
      legacy_text_append (text, line, line_len);
    }
  legacy_set_diagnostic (report, rcpt, text);
  legacy_set_all (report, delayed ? "delayed" : NULL, NULL);
  return legacy_mta_finish (report, view);
}

/* ---- OpenSMTPD ---------------------------------------------------------- */

/* bounce.c: "This is the MAILER-DAEMON, please DO NOT REPLY to this
 * e-mail." then "addr: reason" lines after the list's introduction. */
gboolean
legacy_opensmtpd_recognise (BounceReport *report, const BounceView *view)
{
  const char *intro = legacy_find_line (view->body, view->body_len,
                                        "This is the MAILER-DAEMON, please DO NOT REPLY");
  const char *start, *end, *line;
  gsize line_len, pos;
  gboolean delayed;

  if (intro == NULL || !legacy_mta_from_daemon (view))
    return FALSE;
  start = bounce_text_find (intro, (gssize) (view->body_len - (gsize) (intro - view->body)),
                            "following list of recipients:");
  if (start == NULL)
    start = bounce_text_find (intro, (gssize) (view->body_len - (gsize) (intro - view->body)),
                              "list of recipients:");
  if (start == NULL)
    return legacy_mta_finish (report, view);
  delayed = bounce_text_find (intro, start - intro, "is delayed for more than") != NULL;
  start = legacy_line_after (view->body, view->body_len, start);
  {
    static const char *const ends[] = {
      "Below is a copy of the original message", "Please note this is only a temporary failure",
    };
    end = legacy_mta_region_end (view, start, ends, G_N_ELEMENTS (ends));
  }
  pos = (gsize) (start - view->body);
  while (bounce_text_next_line (view->body, (gsize) (end - view->body), &pos, &line, &line_len))
    {
      gsize ind = indent_of (line, line_len);
      const char *colon = memchr (line + ind, ':', line_len - ind);
      BounceRecipient *rcpt;

      if (colon == NULL || memchr (line + ind, '@', (gsize) (colon - line - (gssize) ind)) == NULL
          || memchr (line + ind, ' ', (gsize) (colon - line - (gssize) ind)) != NULL)
        continue;
      rcpt = legacy_add_named (report, view, line + ind, colon - line - (gssize) ind,
                               colon + 1, (gssize) (line_len - (gsize) (colon + 1 - line)));
      if (rcpt != NULL && delayed)
        rcpt->action = "delayed";
    }
  return legacy_mta_finish (report, view);
}

/* ---- DragonFly Mail Agent ----------------------------------------------- */

/* dma's bounce.c: "There was an error delivering your mail to <addr>."
 * then the reason, then "Message headers follow." or "Original message
 * follows.". */
gboolean
legacy_dragonfly_recognise (BounceReport *report, const BounceView *view)
{
  static const char *const ends[] = { "Message headers follow.", "Original message follows." };
  const char *intro = legacy_find_line (view->body, view->body_len,
                                        "There was an error delivering your mail to <");
  const char *start, *end, *line;
  gsize line_len, pos;
  BounceRecipient *rcpt;
  g_autoptr(GString) text = g_string_new (NULL);

  if (intro == NULL
      || (legacy_find_line (view->body, view->body_len, "This is the DragonFly Mail Agent") == NULL
          && bounce_text_find (bounce_view_header (view, "Received") ?: "", -1, "DragonFly Mail Agent") == NULL))
    return FALSE;
  start = legacy_line_after (view->body, view->body_len, intro);
  rcpt = legacy_add_named (report, view, intro, start - intro, NULL, 0);
  end = legacy_mta_region_end (view, start, ends, G_N_ELEMENTS (ends));
  pos = (gsize) (start - view->body);
  while (bounce_text_next_line (view->body, (gsize) (end - view->body), &pos, &line, &line_len))
    legacy_text_append (text, line, line_len);
  legacy_set_diagnostic (report, rcpt, text);
  /* "mx.example.org [192.0.2.1] did not like our RCPT TO:" */
  if (rcpt != NULL && text->len > 0 && strstr (text->str, " did not like our ") != NULL)
    legacy_set_remote (report, rcpt, text->str, -1);
  return legacy_mta_finish (report, view);
}
