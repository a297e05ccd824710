/* notice.c - what a notice's own words add to its report
 *
 * A DSN's status part names the recipients (RFC 3464 section 2.3); the
 * human-readable part that RFC 6522 section 3 puts before it often says
 * more: the remote server's answer where Diagnostic-Code is missing, the
 * SMTP command it answered (a DSN has no field for it), the whole of a
 * multi-line reply (RFC 5321 4.2.1) that a field cut to its first line,
 * and, in a legacy notice without codes, whether the failure is permanent.
 * These readers take the view (bounce-view.h) and fill the report; the
 * top-level parse (bounce-parse.c) and the reading of a message quoted in a
 * notice (legacy-util.c) both use them, so that both read alike.
 *
 * Invariants:
 *  1. The notice's text is built only when a recipient needs it (a DSN
 *     whose fields say everything never converts its text parts).
 *  2. A notice of many recipients is indexed once, not searched once per
 *     recipient (NOTICE_INDEX_MIN_RECIPIENTS).
 */
#include "bounce-private.h"

#include <string.h>

/* ---- where the notice names an address ----------------------------------- */

/* A notice of many recipients is searched for each of them: with one scan
 * of the text per recipient, that is quadratic (10,000 recipients in a
 * megabyte of text took a minute).  From this many recipients on, the
 * address words of the text are indexed once instead (BounceWordIndex). */
#define NOTICE_INDEX_MIN_RECIPIENTS 8

static void
notice_index_init (BounceWordIndex *index, const char *body, gsize len, guint recipients)
{
  if (recipients >= NOTICE_INDEX_MIN_RECIPIENTS)
    bounce_word_index_init (index, body, len);
  else
    *index = (BounceWordIndex) { .text = body, .len = len };
}

/* ---- diagnostics from the human-readable part --------------------------- */

#define NOTICE_TEXT_MAX_LINES 6

/* Whether @text says something a diagnostic would: a code or some words. */
static gboolean
has_codes (const char *text)
{
  char code[16];

  return text != NULL && (dsn_status_find (text, code) || dsn_status_find_reply_code (text, code));
}

/* The text that a notice gives for @address: the rest of the line that names
 * it or, when that is empty, the lines that follow up to a blank line. */
static char *
notice_text_for (const BounceWordIndex *index, const char *address)
{
  const char *body = index->text;
  gsize len = index->len;
  const char *p = body;
  gsize alen = strlen (address);
  g_autofree char *first = NULL;

  while ((p = bounce_word_index_find (index, p, address)) != NULL)
    {
      const char *rest = p + alen;
      const char *eol = memchr (rest, '\n', len - (gsize) (rest - body));
      g_autoptr(GString) text = g_string_new (NULL);

      if (eol == NULL)
        eol = body + len;
      while (rest < eol && strchr (">]):;,. \t\"'", *rest) != NULL)
        rest++;
      g_string_append_len (text, rest, eol - rest);
      if (text->len >= 4)
        {
          /* Indented lines that follow continue the text (Postfix folds the
           * server's answer this way). */
          gsize pos = eol < body + len ? (gsize) (eol - body) + 1 : len;
          const char *line;
          gsize line_len;

          for (int n = 0; n < NOTICE_TEXT_MAX_LINES
               && bounce_text_next_line (body, len, &pos, &line, &line_len)
               && line_len > 0 && (line[0] == ' ' || line[0] == '\t'); n++)
            {
              g_string_append_c (text, ' ');
              g_string_append_len (text, line, (gssize) line_len);
            }
        }
      else
        {
          gsize pos = eol < body + len ? (gsize) (eol - body) + 1 : len;
          const char *line;
          gsize line_len;

          g_string_truncate (text, 0);
          for (int n = 0; n < NOTICE_TEXT_MAX_LINES
               && bounce_text_next_line (body, len, &pos, &line, &line_len); n++)
            {
              g_autofree char *collapsed = bounce_text_collapse (line, (gssize) line_len);
              if (collapsed == NULL)
                break;
              /* Another recipient's line ends this one's text. */
              if (n > 0 && memchr (line, '@', line_len) != NULL && !has_codes (collapsed))
                break;
              g_string_append (text, collapsed);
              g_string_append_c (text, ' ');
            }
        }
      {
        char *collapsed = bounce_text_collapse (text->str, (gssize) text->len);
        if (collapsed != NULL && has_codes (collapsed))
          return collapsed;
        if (first == NULL)
          first = collapsed;
        else
          g_free (collapsed);
      }
      p = eol;
    }
  return g_steal_pointer (&first);
}

/* Many MTAs leave Diagnostic-Code out of the DSN and say in the
 * human-readable part what the remote server answered (RFC 6522 section 3
 * makes that part the place for it).  Fill missing or code-less diagnostics
 * from there. */
static void
diagnostics_from_notice (BounceReport *report, BounceView *view)
{
  g_auto(BounceWordIndex) index = { 0 };

  for (guint i = 0; i < report->recipients->len; i++)
    {
      BounceRecipient *rcpt = g_ptr_array_index (report->recipients, i);
      g_autofree char *text = NULL;

      if (rcpt->recipient == NULL || has_codes (rcpt->diagnostic))
        continue;
      if (index.text == NULL)
        {
          bounce_view_ensure_body (view);
          notice_index_init (&index, view->body, view->body_len, report->recipients->len - i);
        }
      text = notice_text_for (&index, rcpt->recipient);
      if (text == NULL || (rcpt->diagnostic != NULL && !has_codes (text)))
        continue;
      rcpt->diagnostic = bounce_report_str (report, text);
    }
}

/* ---- the SMTP command a reply answered ----------------------------------- */

/* Lines of a recipient's paragraph searched for the command. */
#define NOTICE_COMMAND_MAX_LINES 8

/* How MTAs say, in the human-readable part, which command the remote reply
 * answered (Postfix: "(in reply to RCPT TO command)"; Exim: "SMTP error
 * from remote mail server after RCPT TO:<...>"; GMX: "SMTP error from
 * remote server after RCPT command"), and the verb reported
 * (RFC 5321 section 4.1.1; CONNECT is the greeting). */
static const struct {
  const char *phrase;
  const char *command;
} notice_commands[] = {
  { "in reply to rcpt to command", "RCPT" },
  { "in reply to end of data command", "DATA" },
  { "in reply to data command", "DATA" },
  { "in reply to mail from command", "MAIL" },
  { "in reply to ehlo command", "EHLO" },
  { "in reply to helo command", "HELO" },
  { "error from remote mail server after rcpt to", "RCPT" },
  { "error from remote mail server after end of data", "DATA" },
  { "error from remote mail server after mail from", "MAIL" },
  { "error from remote mail server after ehlo", "EHLO" },
  { "error from remote mail server after helo", "HELO" },
  { "error from remote mail server after initial connection", "CONNECT" },
  { "error from remote server after rcpt command", "RCPT" },
  { "error from remote server after mail command", "MAIL" },
  { "error from remote server after data command", "DATA" },
  { "refused to talk to me", "CONNECT" },
};

/* The command named in the paragraph that names @address: from the line
 * that names it to the next blank line.  The first paragraph that names
 * one decides; within it, the earliest phrase. */
static const char *
notice_command_for (const BounceWordIndex *index, const char *address)
{
  const char *body = index->text;
  gsize len = index->len;
  const char *p = body;

  while ((p = bounce_word_index_find (index, p, address)) != NULL)
    {
      gsize pos = (gsize) (p - body);
      gsize end = pos;
      const char *line;
      gsize line_len;
      const char *best = NULL;
      gsize best_at = G_MAXSIZE;

      for (int n = 0; n < NOTICE_COMMAND_MAX_LINES
           && bounce_text_next_line (body, len, &end, &line, &line_len)
           && (n == 0 || line_len > 0); n++)
        ;
      /* Notices wrap long lines anywhere ("(in reply to end of DATA\n
       * command)"): the phrases are searched in the paragraph with its
       * runs of white space made one space. */
      g_autofree char *para = bounce_text_collapse (p, (gssize) (end - pos));

      for (gsize i = 0; para != NULL && i < G_N_ELEMENTS (notice_commands); i++)
        {
          const char *at = bounce_text_find (para, -1, notice_commands[i].phrase);

          if (at != NULL && (gsize) (at - para) < best_at)
            {
              best = notice_commands[i].command;
              best_at = (gsize) (at - para);
            }
        }
      if (best != NULL)
        return best;
      p += strlen (address);
    }
  return NULL;
}

/* Lines after a transcript's reply searched for the DATA's own reply. */
#define TRANSCRIPT_PIPELINE_MAX_LINES 6

/* Whether the reply at @reply, which follows ">>> DATA", answered a
 * pipelined RCPT (RFC 2920): Sendmail writes ">>> DATA" for the group it
 * sent, the first refusal and its own verdict, and then the DATA's reply
 * ("503 5.0.0 Need RCPT", "554 Error: no valid recipients").  A DATA
 * refused by itself has one reply. */
static gboolean
pipelined_reply (const char *body, gsize len, const char *reply)
{
  gsize pos = (gsize) (reply - body);
  const char *line;
  gsize line_len;
  gboolean first = TRUE, after_verdict = FALSE;

  while (pos > 0 && body[pos - 1] != '\n')
    pos--;
  for (int n = 0; n < TRANSCRIPT_PIPELINE_MAX_LINES
       && bounce_text_next_line (body, len, &pos, &line, &line_len); n++)
    {
      gboolean server = line_len > 4 && memcmp (line, "<<< ", 4) == 0;

      if (first)
        {
          first = FALSE;
          continue;
        }
      if (line_len == 0 || (line_len > 4 && memcmp (line, ">>> ", 4) == 0))
        return FALSE;
      /* The refusal's continuation lines ("<<< 550-..."), then the verdict. */
      if (!server)
        after_verdict = TRUE;
      else if (after_verdict)
        return TRUE;
    }
  return FALSE;
}

/* Lines above a transcript's reply searched for the command it answered. */
#define TRANSCRIPT_COMMAND_MAX_LINES 4

/* The command a Sendmail-style transcript shows before @diagnostic's reply:
 * "... while talking to mx.example.org.:", ">>> RCPT To:<a@example.org>",
 * "<<< 550 5.1.1 ... User unknown" (">>> ." ends DATA).  NULL when the
 * notice has no such transcript. */
static const char *
transcript_command_for (const char *body, gsize len, const char *diagnostic)
{
  static const struct {
    const char *verb;
    const char *command;
  } verbs[] = {
    { "rcpt", "RCPT" }, { "mail", "MAIL" }, { "data", "DATA" }, { ".", "DATA" },
    { "ehlo", "EHLO" }, { "helo", "HELO" }, { "bdat", "DATA" },
  };
  const char *text = diagnostic;
  g_autofree char *key = NULL;
  const char *p;
  gsize pos;

  /* The reply's words after its codes ("550 5.1.1 "). */
  while (*text != '\0' && (g_ascii_isdigit (*text) || *text == '.' || *text == '-' || *text == ' '))
    text++;
  if (strlen (text) < 8)
    return NULL;
  key = g_strndup (text, MIN (strlen (text), 40));
  /* The reply as the transcript quotes it, not as the list of
   * recipients does ("(reason: 550 ...)"). */
  for (p = body; (p = bounce_text_find (p, (gssize) (len - (gsize) (p - body)), key)) != NULL;
       p += strlen (key))
    {
      pos = (gsize) (p - body);
      while (pos > 0 && body[pos - 1] != '\n')
        pos--;
      if (len - pos >= 4 && memcmp (body + pos, "<<< ", 4) == 0)
        break;
    }
  if (p == NULL)
    return NULL;
  /* Up the transcript to the nearest line the client sent. */
  for (int n = 0; n < TRANSCRIPT_COMMAND_MAX_LINES && pos > 0; n++)
    {
      gsize start = pos - 1;

      while (start > 0 && body[start - 1] != '\n')
        start--;
      if (pos - start > 4 && memcmp (body + start, ">>> ", 4) == 0)
        {
          const char *verb = body + start + 4;
          gsize verb_len = 0;

          while (start + 4 + verb_len < pos && !g_ascii_isspace (verb[verb_len]))
            verb_len++;
          for (gsize i = 0; i < G_N_ELEMENTS (verbs); i++)
            if (strlen (verbs[i].verb) == verb_len
                && g_ascii_strncasecmp (verb, verbs[i].verb, verb_len) == 0)
              {
                /* Pipelining (RFC 2920): ">>> DATA" stands for the group
                 * sent, and a "503 Need RCPT" after the reply says the
                 * reply answered the RCPT. */
                if (strcmp (verbs[i].command, "DATA") == 0 && pipelined_reply (body, len, p))
                  return "RCPT";
                return verbs[i].command;
              }
          return NULL;
        }
      if (pos - start < 4 || memcmp (body + start, "<<< ", 4) != 0)
        return NULL;
      pos = start;
    }
  return NULL;
}

/* A DSN has no field for the command a reply answered; the human-readable
 * part often says it, and it tells whose fault a refusal is (a "user
 * unknown" at RCPT TO is about the recipient, after DATA about the
 * message). */
void
notice_fill_commands (BounceReport *report, BounceView *view)
{
  g_auto(BounceWordIndex) index = { 0 };

  for (guint i = 0; i < report->recipients->len; i++)
    {
      BounceRecipient *rcpt = g_ptr_array_index (report->recipients, i);

      if (rcpt->recipient == NULL || rcpt->command != NULL)
        continue;
      if (index.text == NULL)
        {
          bounce_view_ensure_body (view);
          notice_index_init (&index, view->body, view->body_len, report->recipients->len - i);
        }
      rcpt->command = notice_command_for (&index, rcpt->recipient);
      if (rcpt->command == NULL && rcpt->diagnostic != NULL)
        rcpt->command = transcript_command_for (view->body, view->body_len, rcpt->diagnostic);
    }
}


/* ---- reading a report from its notice ------------------------------------ */

int
notice_read_dsn (BounceReport *report, BounceView *view, GError **error_out)
{
  gsize len;
  g_autofree char *status = bounce_view_status_text (view, &len);
  int n = dsn_fields_parse (report, status, len, view->settings, error_out);

  if (n > 0)
    {
      report->kind = BOUNCE_KIND_DSN;
      report->format = "rfc3464";
      diagnostics_from_notice (report, view);
      notice_fill_commands (report, view);
    }
  return n;
}

void
notice_permanence (BounceReport *report, BounceView *view)
{
  for (guint i = 0; i < report->recipients->len; i++)
    {
      BounceRecipient *r = g_ptr_array_index (report->recipients, i);
      if (r->status == NULL && r->reply_code == NULL)
        {
          bounce_view_ensure_body (view);
          classify_notice_permanence (report, view->subject, view->body, view->body_len);
          break;
        }
    }
  /* A notice whose own words say the mail system is still trying ("will
   * retry", "has been delayed") reports a delay: its recipients are delayed
   * unless the server's answer is final. */
  if (report->notice_class == '4')
    for (guint i = 0; i < report->recipients->len; i++)
      {
        BounceRecipient *r = g_ptr_array_index (report->recipients, i);
        if (g_strcmp0 (r->action, "failed") == 0 && (r->status == NULL || r->status[0] != '5')
            && (r->reply_code == NULL || r->reply_code[0] != '5'))
          r->action = "delayed";
      }
}

void
notice_finish (BounceReport *report, BounceView *view)
{
  /* A multi-line reply cut to its first line (Sendmail's Diagnostic-Code
   * and "(reason: ...)" lines) is whole in the notice's transcript. */
  for (guint i = 0; i < report->recipients->len; i++)
    {
      BounceRecipient *r = g_ptr_array_index (report->recipients, i);
      g_autofree char *whole = NULL;

      /* "550-...": three digits, then the dash (a shorter text ends at a
       * digit test, before [3] is read). */
      if (r->diagnostic == NULL || !g_ascii_isdigit (r->diagnostic[0])
          || !g_ascii_isdigit (r->diagnostic[1]) || !g_ascii_isdigit (r->diagnostic[2])
          || r->diagnostic[3] != '-')
        continue;
      bounce_view_ensure_body (view);
      whole = bounce_text_join_reply (view->body, view->body_len, r->diagnostic);
      if (whole != NULL && strlen (whole) > strlen (r->diagnostic))
        r->diagnostic = bounce_report_str (report, whole);
    }

  for (guint i = 0; i < report->recipients->len; i++)
    dsn_status_complete (report, g_ptr_array_index (report->recipients, i));

  classify_report (report, view->settings->rules);
}
