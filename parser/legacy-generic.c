/* legacy-generic.c - the fallback for mailer-daemon notices of unknown format
 *
 * Takes the failed recipients from X-Failed-Recipients (Exim's header, now
 * widely copied), else from the lines of the notice before the copy of the
 * returned message that hold an address; the text around it becomes the
 * diagnostic.
 *
 * The copy of the returned message is not always introduced by a marker we
 * know: a block of header fields ("Received:", "From:", "Message-Id:") ends
 * the notice's own text too, and a line that is a header field of the
 * returned message ("To: a@b", "Message-ID: <...>") never names a failed
 * recipient (REASONS.md "How to decide", 4).
 */
#include "legacy-private.h"

#include <string.h>

/* Header fields that quote the returned message, not a failure. */
static const char *const quoted_fields[] = {
  "From:", "To:", "Cc:", "Bcc:", "Reply-To:", "Sender:", "Return-Path:",
  "Message-Id:", "In-Reply-To:", "References:", "Delivered-To:", "Errors-To:",
  "X-Original-To:", "Envelope-To:", "Received:", "Subject:", "Date:",
  "List-", "X-", "DKIM-Signature:", "Authentication-Results:",
};

/* Header fields that start the block of a returned message's headers. */
static const char *const block_starts[] = {
  "Received: from ", "Received: by ", "Return-Path: <", "Return-path: <",
};

static gboolean
is_quoted_field (const char *line, gsize len)
{
  for (gsize i = 0; i < G_N_ELEMENTS (quoted_fields); i++)
    {
      gsize n = strlen (quoted_fields[i]);
      if (len >= n && g_ascii_strncasecmp (line, quoted_fields[i], n) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
starts_header_block (const char *line, gsize len)
{
  for (gsize i = 0; i < G_N_ELEMENTS (block_starts); i++)
    {
      gsize n = strlen (block_starts[i]);
      if (len >= n && strncmp (line, block_starts[i], n) == 0)
        return TRUE;
    }
  return FALSE;
}

/* Lines of the paragraph after a recipient's line that belong to it: up to
 * a blank line, a line naming another address, or GENERIC_TEXT_MAX_LINES.
 * "Delivery failed: a@b\n192.0.2.1 failed after I sent the message.\n
 * Remote host said: 554 ..." */
#define GENERIC_TEXT_MAX_LINES 6

/* Whether @line opens with a rule ("-----", "|=====", "*****"). */
static gboolean
is_rule (const char *line, gsize len)
{
  gsize i = 0, run = 0;

  while (i < len && (line[i] == ' ' || line[i] == '|'))
    i++;
  while (i + run < len && strchr ("-=*_", line[i + run]) != NULL && line[i + run] == line[i])
    run++;
  return run >= 5;
}

/* Whether @line names an address other than @addr. */
static gboolean
names_other_address (const char *line, gsize len, const char *addr)
{
  const char *word;
  gsize word_len, wpos = 0;

  while (bounce_text_next_address_word (line, len, &wpos, &word, &word_len))
    {
      g_autofree char *other = bounce_text_address (word, (gssize) word_len);
      if (other != NULL && !bounce_text_address_equal (other, addr))
        return TRUE;
    }
  return FALSE;
}

/* Appends to @text the lines after the recipient @addr's line that belong
 * to it.  A line that names @addr again continues the paragraph ("Your
 * message was not delivered to <a@b> for the following reason:\nUser
 * <a@b> not listed in Domino Directory"); one that names another address
 * starts another recipient's. */
static void
generic_paragraph (GString *text, const char *body, gsize limit, gsize pos, const char *addr)
{
  const char *line;
  gsize line_len;

  for (int n = 0; n < GENERIC_TEXT_MAX_LINES
       && bounce_text_next_line (body, limit, &pos, &line, &line_len); n++)
    {
      if (legacy_line_is_blank (line, line_len)
          || (memchr (line, '@', line_len) != NULL && names_other_address (line, line_len, addr))
          || starts_header_block (line, line_len) || is_quoted_field (line, line_len)
          || is_rule (line, line_len))
        break;
      legacy_text_append (text, line, line_len);
    }
}

/* Labels of a line that gives the reason of the failure apart from the
 * recipient's line ("Reason: 550 5.2.2 Mailbox full", Google's "The error
 * that the other server returned was:" with the answer on the next line),
 * in the languages notices are written in.  Compared case-insensitively at
 * the start of a line, after blanks. */
static const char *const reason_labels[] = {
  "The error that the other server returned was:", "The response from the remote server was:",
  "The response was:", "Remote host said:", "Remote server said:", "Server response:",
  "Error message:", "Error details:", "Error:", "Reason:", "Diagnostic:", "Details:",
  "Grund:", "Fehlermeldung:", "Fehler:", "Ursache:",
  "Raison :", "Raison:", "Motif :", "Motif:", "Erreur :", "Erreur:",
  "Motivo:", "Razón:", "Causa:", "Errore:", "Reden:", "Oorzaak:", "Foutmelding:",
  "Powód:", "Przyczyna:", "Důvod:", "Příčina:", "Причина:", "Ошибка:",
  "原因:", "原因：", "理由:", "理由：", "エラー内容:", "エラー内容：", "错误:", "错误：",
  "사유:", "원인:",
};

/* Longest label above, in bytes. */
#define REASON_LABEL_MAX 64

/* The reason a labelled line of the notice's text (before @limit) gives:
 * the rest of its line, or when the label ends the line, the lines up to
 * the next blank one (GENERIC_TEXT_MAX_LINES at most).  NULL when there is
 * none; the first labelled line with words decides. */
static GString *
notice_reason (const char *body, gsize limit)
{
  const char *line;
  gsize line_len, pos = 0;

  while (bounce_text_next_line (body, limit, &pos, &line, &line_len))
    {
      gsize ind = 0;

      while (ind < line_len && (line[ind] == ' ' || line[ind] == '\t'))
        ind++;
      for (gsize i = 0; i < G_N_ELEMENTS (reason_labels); i++)
        {
          gsize n = strlen (reason_labels[i]);
          g_autoptr(GString) text = NULL;

          if (line_len - ind < n || g_ascii_strncasecmp (line + ind, reason_labels[i], n) != 0)
            continue;
          text = g_string_new (NULL);
          legacy_text_append (text, line + ind + n, line_len - ind - n);
          if (text->len == 0)
            {
              gsize next = pos;
              const char *l;
              gsize l_len;

              for (int k = 0; k < GENERIC_TEXT_MAX_LINES
                   && bounce_text_next_line (body, limit, &next, &l, &l_len); k++)
                {
                  if (legacy_line_is_blank (l, l_len))
                    {
                      if (text->len > 0)
                        break;
                      continue;
                    }
                  legacy_text_append (text, l, l_len);
                }
            }
          if (text->len > 0)
            return g_steal_pointer (&text);
          break;
        }
    }
  return NULL;
}

/* Whether @diagnostic says nothing but @address (and punctuation, or a
 * label such as "Recipient:"): a recipient's line with no reason on it. */
static gboolean
says_only_address (const char *diagnostic, const char *address)
{
  const char *at = diagnostic ? bounce_text_find (diagnostic, -1, address) : NULL;
  guint letters = 0;

  if (diagnostic == NULL)
    return TRUE;
  if (at == NULL)
    return FALSE;
  for (const char *p = diagnostic; *p; p++)
    {
      if (p == at)
        {
          p += strlen (address) - 1;
          continue;
        }
      if (g_ascii_isalnum (*p) || (guchar) *p >= 0x80)
        letters++;
    }
  /* "Recipient: a@b", "To: <a@b>", "Empfänger: a@b". */
  return letters <= 12;
}

gboolean
legacy_generic_recognise (BounceReport *report, const BounceView *view)
{
  const char *failed = bounce_view_header (view, "X-Failed-Recipients");
  const char *end;
  const char *line;
  gsize line_len, pos = 0, limit;
  gboolean continuation = FALSE;

  if (!legacy_is_daemon_notice (view))
    return FALSE;

  end = legacy_returned_start (view);
  limit = end ? (gsize) (end - view->body) : view->body_len;

  if (failed != NULL)
    {
      g_auto(GStrv) list = g_strsplit (failed, ",", -1);
      for (char **a = list; *a; a++)
        legacy_add (report, view, *a, -1, NULL, 0);
    }

  while (bounce_text_next_line (view->body, limit, &pos, &line, &line_len))
    {
      gboolean folded = line_len > 0 && (line[0] == ' ' || line[0] == '\t');

      if (starts_header_block (line, line_len))
        break;
      /* A header field of the returned message, and its folded lines. */
      if (is_quoted_field (line, line_len))
        {
          continuation = TRUE;
          continue;
        }
      if (continuation && folded)
        continue;
      continuation = FALSE;
      if (memchr (line, '@', line_len) == NULL)
        continue;
      if (failed != NULL)
        {
          /* Only fill diagnostics of the recipients the header named: those
           * the line's addresses are (found by address, not by a search of
           * the line for each recipient, which is quadratic). */
          const char *word;
          gsize word_len, wpos = 0;

          while (bounce_text_next_address_word (line, line_len, &wpos, &word, &word_len))
            {
              g_autofree char *addr = g_strndup (word, word_len);
              BounceRecipient *r = bounce_report_find_recipient (report, addr);

              if (r != NULL && r->diagnostic == NULL)
                {
                  g_autofree char *text = bounce_text_collapse (line, (gssize) line_len);
                  r->diagnostic = bounce_report_str (report, text);
                }
            }
          continue;
        }
      {
        BounceRecipient *r = legacy_add (report, view, line, (gssize) line_len, NULL, 0);
        if (r != NULL && r->diagnostic == NULL)
          {
            g_autoptr(GString) text = g_string_new (NULL);
            legacy_text_append (text, line, line_len);
            generic_paragraph (text, view->body, limit, pos, r->recipient);
            legacy_set_diagnostic (report, r, text);
          }
      }
    }
  /* A reason given on its own line, apart from the recipients' lines, is
   * the notice's for the recipients whose lines say none. */
  if (report->recipients->len > 0)
    {
      g_autoptr(GString) reason = notice_reason (view->body, limit);

      for (guint i = 0; reason != NULL && i < report->recipients->len; i++)
        {
          BounceRecipient *r = g_ptr_array_index (report->recipients, i);

          if (r->recipient != NULL && says_only_address (r->diagnostic, r->recipient))
            {
              r->diagnostic = NULL;
              legacy_set_diagnostic (report, r, reason);
            }
        }
    }
  return report->recipients->len > 0;
}
