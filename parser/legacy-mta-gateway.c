/* legacy-mta-gateway.c - plain-text notices of commercial servers, mail
 * filters, gateways, mailing-list managers and mobile carriers
 *
 * Lotus Notes and Domino, Sun/Oracle Messaging Server, IMail, m-FILTER,
 * FML, MailFoundry, MailMarshal, Active!hunter, amavisd-new, Barracuda,
 * McAfee, Trend Micro InterScan, SurfControl, MXLogic, Bigfoot, Verizon,
 * au (EZweb, KDDI), Google Groups, three unnamed layouts met in the wild
 * (x1, x3, x6), and notices forwarded inside other mail.
 *
 * Invariant: a recogniser returns FALSE, with the report untouched, unless
 * the product's own marker (a header it sets, a sentence of its template
 * standing where the template puts it) is present.
 */
#include "legacy-mta-private.h"

#include <string.h>

/* Maximum length of a diagnostic taken from free text (Google Groups). */
#define GATEWAY_PROSE_MAX 400

static gsize
indent_of (const char *line, gsize len)
{
  gsize i = 0;

  while (i < len && (line[i] == ' ' || line[i] == '\t'))
    i++;
  return i;
}

/* Whether @line, trimmed, is one address (optionally in angle brackets). */
static char *
bare_address_line (const char *line, gsize len)
{
  g_autofree char *t = g_strstrip (g_strndup (line, len));
  gsize n = strlen (t);

  if (n == 0 || strchr (t, ' ') != NULL || strchr (t, '@') == NULL)
    return NULL;
  if (t[0] == '<' && t[n - 1] == '>')
    {
      t[n - 1] = '\0';
      memmove (t, t + 1, n - 1);
    }
  if (!bounce_text_is_address (t))
    return NULL;
  return g_steal_pointer (&t);
}

static gboolean
header_has (const BounceView *view, const char *name, const char *needle)
{
  const char *v = bounce_view_header (view, name);

  return v != NULL && bounce_text_find (v, -1, needle) != NULL;
}

/* Collapsed text of the lines of [@from, @to). */
static void
append_lines (GString *text, const char *from, const char *to)
{
  const char *line;
  gsize line_len, pos = 0;

  if (from == NULL || to == NULL || to <= from)
    return;
  while (bounce_text_next_line (from, (gsize) (to - from), &pos, &line, &line_len))
    legacy_text_append (text, line, line_len);
}

/* The end of the paragraph (first blank line) starting at @from, or @end. */
static const char *
paragraph_end (const char *from, const char *end)
{
  const char *line;
  gsize line_len, pos = 0;

  if (from == NULL)
    return NULL;
  while (bounce_text_next_line (from, (gsize) (end - from), &pos, &line, &line_len))
    if (legacy_line_is_blank (line, line_len))
      return line;
  return end;
}

static const char *
body_end (const BounceView *view)
{
  return view->body + view->body_len;
}

/* Reads one line of a recipient list into @report; returns FALSE where the
 * list ends. */
typedef gboolean (*ListLineReader) (BounceReport *report, const BounceView *view,
                                    const char *line, gsize line_len);

/* The layouts that list one recipient a line under a fixed marker line
 * (McAfee, x1): finds @marker as a whole line of the body, then hands each
 * line after it to @read_line until that returns FALSE or the body ends. */
static gboolean
recognise_list (BounceReport *report, const BounceView *view, const char *marker,
                ListLineReader read_line)
{
  const char *start = legacy_find_line (view->body, view->body_len, marker);
  const char *line;
  gsize line_len, pos;

  if (start == NULL)
    return FALSE;
  pos = (gsize) (legacy_line_after (view->body, view->body_len, start) - view->body);
  while (bounce_text_next_line (view->body, view->body_len, &pos, &line, &line_len))
    if (!read_line (report, view, line, line_len))
      break;
  return legacy_mta_finish (report, view);
}

/* ---- notices forwarded or quoted inside other mail ---------------------- */

/* Daemon senders, as the From of a quoted header block names them. */
static const char *const forwarded_daemons[] = {
  "MAILER-DAEMON", "Mail Delivery", "postmaster@", "Mail Administrator",
};

/* Finds, at a line start (after "> " quoting), a header block of a notice:
 * a From naming a daemon, with a Subject among the header lines around it
 * (or the mbox separator "From MAILER-DAEMON").  Returns the start of the
 * block's first line and the quoting prefix length in @quote_out. */
static const char *
forwarded_block (const BounceView *view, const char *limit, gsize *quote_out)
{
  const char *line;
  gsize line_len, pos = 0;
  const char *block = NULL;
  gboolean daemon = FALSE, subject = FALSE;
  gsize block_quote = 0;

  while (bounce_text_next_line (view->body, (gsize) (limit - view->body), &pos, &line, &line_len))
    {
      gsize q = 0, fn = 0;
      const char *s;
      gsize n;

      while (q < line_len && q < 4 && (line[q] == '>' || (q > 0 && line[q] == ' ' && line[q - 1] == '>')))
        q++;
      s = line + q;
      n = line_len - q;
      if (n > 15 && strncmp (s, "From MAILER-DAEMON", 18) == 0)
        {
          *quote_out = q;
          return line;
        }
      while (fn < n && (g_ascii_isalnum (s[fn]) || s[fn] == '-'))
        fn++;
      if (fn == 0 || fn >= n || s[fn] != ':')
        {
          if (n > 0 && (s[0] == ' ' || s[0] == '\t') && block != NULL)
            continue;
          if (block != NULL && daemon && subject)
            break;
          block = NULL;
          daemon = subject = FALSE;
          continue;
        }
      if (block == NULL)
        {
          block = line;
          block_quote = q;
        }
      if (fn == 4 && g_ascii_strncasecmp (s, "From", 4) == 0)
        for (gsize i = 0; i < G_N_ELEMENTS (forwarded_daemons); i++)
          if (bounce_text_find (s, (gssize) n, forwarded_daemons[i]) != NULL)
            daemon = TRUE;
      if (fn == 7 && g_ascii_strncasecmp (s, "Subject", 7) == 0)
        subject = TRUE;
    }
  if (block != NULL && daemon && subject)
    {
      *quote_out = block_quote;
      return block;
    }
  return NULL;
}

gboolean
legacy_forwarded_recognise (BounceReport *report, const BounceView *view)
{
  const char *limit = legacy_returned_start (view);
  const char *block, *line;
  gsize quote = 0, line_len, pos;
  g_autoptr(GString) text = NULL;

  /* Only a notice, or mail forwarding one under a notice's subject: a
   * person quoting a bounce in a conversation is not reporting one. */
  if (!legacy_is_daemon_notice (view))
    return FALSE;
  if (limit == NULL)
    limit = body_end (view);
  block = forwarded_block (view, limit, &quote);
  if (block == NULL)
    return FALSE;
  /* Unquote, and drop the mbox separator. */
  text = g_string_sized_new (view->body_len - (gsize) (block - view->body));
  pos = (gsize) (block - view->body);
  while (bounce_text_next_line (view->body, view->body_len, &pos, &line, &line_len))
    {
      gsize q = 0;
      while (q < quote && q < line_len && (line[q] == '>' || line[q] == ' '))
        q++;
      if (text->len == 0 && line_len - q > 5 && strncmp (line + q, "From ", 5) == 0)
        continue;
      g_string_append_len (text, line + q, (gssize) (line_len - q));
      g_string_append_c (text, '\n');
    }
  if (!legacy_embedded_parse (report, view, text->str, text->len))
    return FALSE;
  return legacy_mta_finish (report, view);
}

/* ---- Active!hunter ------------------------------------------------------ */

/* Sendmail's layout with ">>> addr <addr>" lines, Subject "FAILURE
 * NOTICE :". */
gboolean
legacy_activehunter_recognise (BounceReport *report, const BounceView *view)
{
  if (bounce_view_header (view, "X-AHMAILID") == NULL
      && g_ascii_strncasecmp (view->subject, "FAILURE NOTICE :", 16) != 0)
    return FALSE;
  return legacy_sendmail_recognise (report, view);
}

/* ---- Bigfoot ------------------------------------------------------------ */

gboolean
legacy_bigfoot_recognise (BounceReport *report, const BounceView *view)
{
  if (bounce_text_find (view->from, -1, "@bigfoot.") == NULL)
    return FALSE;
  return legacy_sendmail_recognise (report, view);
}

/* ---- m-FILTER ----------------------------------------------------------- */

/* Sections introduced by "-------server message", "-------SMTP command",
 * "-------original message"; the failed addresses stand alone on their
 * lines before the first. */
gboolean
legacy_mfilter_recognise (BounceReport *report, const BounceView *view)
{
  const char *server = legacy_find_line (view->body, view->body_len, "-------server message");
  const char *line, *diag_end;
  gsize line_len, pos = 0;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GString) command = g_string_new (NULL);
  const char *cmd;

  if (server == NULL
      || (!header_has (view, "X-Mailer", "m-FILTER")
          && legacy_find_line (view->body, view->body_len, "-------SMTP command") == NULL))
    return FALSE;
  diag_end = legacy_find_line (server + 7, view->body_len - (gsize) (server + 7 - view->body), "-------");
  append_lines (text, legacy_line_after (view->body, view->body_len, server),
                diag_end ? diag_end : body_end (view));
  cmd = legacy_find_line (view->body, view->body_len, "-------SMTP command");
  if (cmd != NULL)
    {
      const char *after = legacy_line_after (view->body, view->body_len, cmd);
      append_lines (command, after, paragraph_end (after, body_end (view)));
    }
  while (bounce_text_next_line (view->body, (gsize) (server - view->body), &pos, &line, &line_len))
    {
      g_autofree char *addr = bare_address_line (line, line_len);
      BounceRecipient *rcpt;

      if (addr == NULL)
        continue;
      rcpt = legacy_add_named (report, view, addr, -1, NULL, 0);
      legacy_set_diagnostic (report, rcpt, text);
    }
  return legacy_mta_finish (report, view);
}

/* ---- IMail (Ipswitch) --------------------------------------------------- */

/* X-Mailer "<SMTP32 vN>"; a line "reason: addr" or "undeliverable to
 * addr", then the remote server's answer after "Body of message generated
 * response:" or "SMTP error from remote mail server". */
static const char *const imail_heads[] = {
  "undeliverable to ", "Unknown user: ", "User mailbox exceeds allowed size: ",
  "Delivery failed ", "Requested action not taken: ", "Host unknown: ",
};

/* The header fields IMail repeats from the returned message ("To: a@b")
 * name its recipients, not failures. */
static gboolean
imail_quoted_field (const char *s, gsize n)
{
  static const char *const fields[] = { "To:", "CC:", "From:", "Reply-To:" };

  for (gsize i = 0; i < G_N_ELEMENTS (fields); i++)
    if (n > strlen (fields[i]) && g_ascii_strncasecmp (s, fields[i], strlen (fields[i])) == 0)
      return TRUE;
  return FALSE;
}

gboolean
legacy_imail_recognise (BounceReport *report, const BounceView *view)
{
  static const char *const ends[] = { "Original message follows." };
  const char *end, *line;
  gsize line_len, pos = 0;
  BounceRecipient *rcpt = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  gboolean in_response = FALSE;

  if (!header_has (view, "X-Mailer", "<SMTP32 v"))
    return FALSE;
  end = legacy_mta_region_end (view, view->body, ends, G_N_ELEMENTS (ends));
  while (bounce_text_next_line (view->body, (gsize) (end - view->body), &pos, &line, &line_len))
    {
      gsize ind = indent_of (line, line_len);
      const char *s = line + ind;
      gsize n = line_len - ind;
      gboolean head = FALSE;

      while (n > 0 && g_ascii_isspace (s[n - 1]))
        n--;

      for (gsize i = 0; i < G_N_ELEMENTS (imail_heads) && !head; i++)
        if (n > strlen (imail_heads[i]) && g_ascii_strncasecmp (s, imail_heads[i], strlen (imail_heads[i])) == 0)
          head = TRUE;
      if (!head && n > 0 && !imail_quoted_field (s, n))
        {
          /* Other reasons of the same shape: "Reason text: addr", the
           * address last and after a colon. */
          const char *colon = bounce_text_find (s, (gssize) n, ": ");
          const char *last = s + n;
          while (last > s && last[-1] != ' ')
            last--;
          if (colon != NULL && colon < last)
            {
              g_autofree char *addr = bare_address_line (last, (gsize) (s + n - last));
              head = addr != NULL;
            }
        }
      if (head)
        {
          const char *last = s + n;
          legacy_set_diagnostic (report, rcpt, text);
          g_string_truncate (text, 0);
          while (last > s && last[-1] != ' ')
            last--;
          rcpt = legacy_add_named (report, view, last, s + n - last, NULL, 0);
          {
            /* "User mailbox exceeds allowed size: addr": the words before. */
            gsize words = (gsize) (last - s);
            while (words > 0 && (s[words - 1] == ' ' || s[words - 1] == ':'))
              words--;
            legacy_text_append (text, s, words);
          }
          if (rcpt != NULL && bounce_text_find (s, (gssize) n, "Delivery failed ") == s
              && bounce_text_find (s, (gssize) n, "attempts") != NULL)
            rcpt->action = "delayed";
          in_response = FALSE;
          continue;
        }
      if (rcpt == NULL)
        continue;
      if (legacy_line_has (s, n, "generated response:") || legacy_line_has (s, n, "SMTP error from remote"))
        {
          g_string_truncate (text, 0);
          in_response = TRUE;
          continue;
        }
      if (in_response)
        legacy_text_append (text, s, n);
    }
  legacy_set_diagnostic (report, rcpt, text);
  return legacy_mta_finish (report, view);
}

/* ---- Trend Micro InterScan ---------------------------------------------- */

gboolean
legacy_trendmicro_recognise (BounceReport *report, const BounceView *view)
{
  const char *line;
  gsize line_len, pos = 0;
  BounceRecipient *rcpt = NULL;

  if (bounce_text_find (view->from, -1, "InterScan") == NULL
      && bounce_text_find (view->body, (gssize) view->body_len, "Message from InterScan Messaging Security Suite") == NULL
      && !header_has (view, "Content-Type", "InterScan_NT_MIME_Boundary"))
    return FALSE;
  while (bounce_text_next_line (view->body, view->body_len, &pos, &line, &line_len))
    {
      gsize ind = indent_of (line, line_len);
      const char *s = line + ind;
      gsize n = line_len - ind;
      const char *p;

      if (n > 21 && g_ascii_strncasecmp (s, "Sent <<< RCPT TO:", 17) == 0)
        rcpt = legacy_add_named (report, view, s + 17, (gssize) n - 17, NULL, 0);
      else if (n > 13 && g_ascii_strncasecmp (s, "Received >>> ", 13) == 0 && rcpt != NULL)
        {
          g_autoptr(GString) text = g_string_new (NULL);
          legacy_text_append (text, s + 13, n - 13);
          legacy_set_diagnostic (report, rcpt, text);
          rcpt = NULL;
        }
      else if ((p = bounce_text_find (s, (gssize) n, "Unable to deliver message to <")) != NULL)
        {
          const char *reason = bounce_text_find (s, (gssize) n, "Reason:");
          const char *t = reason ? reason + 7 : s;
          legacy_add_named (report, view, p + 29, n - (gsize) (p + 29 - s), t, n - (gsize) (t - s));
        }
    }
  if (report->recipients->len == 0)
    return FALSE;
  /* A Sendmail transcript attached by the relay behind the scanner has
   * the remote server's own answer: the first "<<< " line that names a
   * recipient is its diagnostic.  One pass over the lines, recipients
   * found by address (a pass per recipient is quadratic). */
  {
    g_autoptr(GHashTable) answered = g_hash_table_new (NULL, NULL);
    const char *p = view->body;

    while ((p = legacy_find_line (p, view->body_len - (gsize) (p - view->body), "<<< ")) != NULL)
      {
        const char *eol = legacy_line_after (view->body, view->body_len, p);
        const char *word;
        gsize word_len, wpos = 0;

        while (bounce_text_next_address_word (p, (gsize) (eol - p), &wpos, &word, &word_len))
          {
            g_autofree char *addr = g_strndup (word, word_len);
            BounceRecipient *r = bounce_report_find_recipient (report, addr);

            if (r != NULL && g_hash_table_add (answered, r))
              {
                g_autoptr(GString) text = g_string_new (NULL);
                legacy_text_append (text, p + 4, (gsize) (eol - p - 4));
                legacy_set_diagnostic (report, r, text);
              }
          }
        p = eol;
      }
  }
  return legacy_mta_finish (report, view);
}

/* ---- McAfee ------------------------------------------------------------- */

/* "<addr>   (reason)"; blank lines are skipped, any other line ends the
 * list. */
static gboolean
mcafee_list_line (BounceReport *report, const BounceView *view, const char *line,
                  gsize line_len)
{
  gsize ind = indent_of (line, line_len);
  const char *gt, *open, *close;

  if (line_len == ind)
    return TRUE;
  if (line[ind] != '<' || (gt = memchr (line + ind, '>', line_len - ind)) == NULL)
    return FALSE;
  open = memchr (gt, '(', line_len - (gsize) (gt - line));
  close = line + line_len;
  while (close > gt && close[-1] != ')')
    close--;
  if (open != NULL && close > open + 1)
    legacy_add_named (report, view, line + ind, gt + 1 - line - (gssize) ind, open + 1, close - 1 - (open + 1));
  else
    legacy_add_named (report, view, line + ind, gt + 1 - line - (gssize) ind, gt + 1,
                      line + line_len - (gt + 1));
  return TRUE;
}

/* "--- The following addresses had delivery problems ---" then
 * "<addr>   (reason)". */
gboolean
legacy_mcafee_recognise (BounceReport *report, const BounceView *view)
{
  return recognise_list (report, view, "--- The following addresses had delivery problems ---",
                         mcafee_list_line);
}

/* ---- SurfControl -------------------------------------------------------- */

/* "Addressed To: addr" then "addr: [192.0.2.1], 554 text". */
gboolean
legacy_surfcontrol_recognise (BounceReport *report, const BounceView *view)
{
  const char *start = legacy_find_line (view->body, view->body_len,
                                        "A transcript of the attempts to send the message follows.");
  const char *line;
  gsize line_len, pos;

  if (start == NULL && !header_has (view, "X-Mailer", "SurfControl"))
    return FALSE;
  if (start == NULL)
    start = view->body;
  pos = (gsize) (start - view->body);
  while (bounce_text_next_line (view->body, view->body_len, &pos, &line, &line_len))
    {
      gsize ind = indent_of (line, line_len);
      const char *s = line + ind;
      gsize n = line_len - ind;
      const char *colon = memchr (s, ':', n);

      if (legacy_line_has (s, n, "--- Message non-deliverable"))
        break;
      if (n > 13 && g_ascii_strncasecmp (s, "Addressed To:", 13) == 0)
        legacy_add_named (report, view, s + 13, (gssize) n - 13, NULL, 0);
      else if (colon != NULL && colon[1] == ' ' && memchr (s, '@', (gsize) (colon - s)) != NULL
               && memchr (s, ' ', (gsize) (colon - s)) == NULL)
        {
          BounceRecipient *rcpt = legacy_add_named (report, view, s, colon - s, NULL, 0);
          const char *comma = memchr (colon, ',', n - (gsize) (colon - s));
          if (rcpt == NULL)
            continue;
          rcpt->diagnostic = NULL;
          {
            g_autoptr(GString) text = g_string_new (NULL);
            const char *t = comma ? comma + 1 : colon + 1;
            legacy_text_append (text, t, n - (gsize) (t - s));
            legacy_set_diagnostic (report, rcpt, text);
          }
          legacy_set_remote (report, rcpt, colon + 1, comma ? comma - colon - 1 : -1);
        }
    }
  if (report->recipients->len == 0 && start == view->body)
    return FALSE;
  return legacy_mta_finish (report, view);
}

/* ---- MailMarshal -------------------------------------------------------- */

/* "Could not be delivered because of\n\n550 5.1.1 User unknown\n\nThe
 * following recipients were affected:\n    addr". */
gboolean
legacy_mailmarshal_recognise (BounceReport *report, const BounceView *view)
{
  const char *because = legacy_find_line (view->body, view->body_len, "Could not be delivered because of");
  const char *affected = legacy_find_line (view->body, view->body_len, "The following recipients were affected:");
  const char *remote = legacy_find_line (view->body, view->body_len, "Remote-MTA:");
  g_autoptr(GString) text = g_string_new (NULL);
  const char *line;
  gsize line_len, pos;

  if (because == NULL || affected == NULL || affected < because)
    return FALSE;
  append_lines (text, legacy_line_after (view->body, view->body_len, because), affected);
  pos = (gsize) (legacy_line_after (view->body, view->body_len, affected) - view->body);
  while (bounce_text_next_line (view->body, view->body_len, &pos, &line, &line_len))
    {
      g_autofree char *addr = bare_address_line (line, line_len);
      BounceRecipient *rcpt;

      if (addr == NULL)
        {
          if (!legacy_line_is_blank (line, line_len) || report->recipients->len > 0)
            break;
          continue;
        }
      rcpt = legacy_add_named (report, view, addr, -1, NULL, 0);
      legacy_set_diagnostic (report, rcpt, text);
      if (rcpt != NULL && remote != NULL)
        legacy_set_remote (report, rcpt, remote + 11, -1);
    }
  return legacy_mta_finish (report, view);
}

/* ---- MailFoundry -------------------------------------------------------- */

gboolean
legacy_mailfoundry_recognise (BounceReport *report, const BounceView *view)
{
  const char *to = legacy_find_line (view->body, view->body_len, "Unable to deliver message to:");
  const char *reason = legacy_find_line (view->body, view->body_len, "Delivery failed for the following reason:");
  g_autoptr(GString) text = g_string_new (NULL);
  const char *after, *eol;
  BounceRecipient *rcpt;

  if (to == NULL || reason == NULL)
    return FALSE;
  eol = legacy_line_after (view->body, view->body_len, to);
  after = legacy_line_after (view->body, view->body_len, reason);
  append_lines (text, after, paragraph_end (after, body_end (view)));
  rcpt = legacy_add_named (report, view, to + 29, eol - (to + 29), NULL, 0);
  legacy_set_diagnostic (report, rcpt, text);
  /* "mail.example.org[192.0.2.1] responded with failure:" */
  if (rcpt != NULL && text->len > 0 && strstr (text->str, " responded with") != NULL)
    {
      const char *bracket = strchr (text->str, '[');
      legacy_set_remote (report, rcpt, text->str, bracket ? bracket - text->str : -1);
    }
  return legacy_mta_finish (report, view);
}

/* ---- amavisd-new -------------------------------------------------------- */

/* Sender notifications: "The message WAS NOT relayed to:" then "<addr>:"
 * lines with the SMTP answer, or the list "-> addr" after "A message from
 * <sender> to:". */
gboolean
legacy_amavis_recognise (BounceReport *report, const BounceView *view)
{
  const char *relay = legacy_find_line (view->body, view->body_len, "The message WAS NOT relayed to:");
  const char *intro = legacy_find_line (view->body, view->body_len, "This nondelivery report was generated by the program amavisd-new");
  const char *from = legacy_find_line (view->body, view->body_len, "A message from <");
  const char *line;
  gsize line_len, pos;

  if (relay == NULL && intro == NULL && from == NULL)
    return FALSE;
  if (relay == NULL && intro == NULL && !header_has (view, "From", "Content-filter"))
    return FALSE;
  if (relay != NULL)
    {
      BounceRecipient *rcpt = NULL;
      g_autoptr(GString) text = g_string_new (NULL);

      pos = (gsize) (legacy_line_after (view->body, view->body_len, relay) - view->body);
      while (bounce_text_next_line (view->body, view->body_len, &pos, &line, &line_len))
        {
          gsize ind = indent_of (line, line_len);
          const char *s = line + ind;
          gsize n = line_len - ind;
          const char *gt = n > 0 && s[0] == '<' ? memchr (s, '>', n) : NULL;

          if (n == 0)
            break;
          if (gt != NULL && memchr (s, '@', (gsize) (gt - s)) != NULL)
            {
              legacy_set_diagnostic (report, rcpt, text);
              g_string_truncate (text, 0);
              rcpt = legacy_add_named (report, view, s, gt + 1 - s, NULL, 0);
              if (gt + 1 < s + n && gt[1] == ':')
                legacy_text_append (text, gt + 2, n - (gsize) (gt + 2 - s));
              continue;
            }
          legacy_text_append (text, s, n);
        }
      legacy_set_diagnostic (report, rcpt, text);
    }
  if (report->recipients->len == 0 && from != NULL)
    {
      const char *after = legacy_line_after (view->body, view->body_len, from);
      const char *para = paragraph_end (after, body_end (view));
      const char *verdict = NULL;
      g_autoptr(GString) text = g_string_new (NULL);

      pos = (gsize) (after - view->body);
      while (bounce_text_next_line (view->body, (gsize) (para - view->body), &pos, &line, &line_len))
        {
          gsize ind = indent_of (line, line_len);
          if (line_len > ind + 3 && strncmp (line + ind, "-> ", 3) == 0)
            continue;
          verdict = line;
          break;
        }
      if (verdict != NULL)
        append_lines (text, verdict, para);
      pos = (gsize) (after - view->body);
      while (bounce_text_next_line (view->body, (gsize) (para - view->body), &pos, &line, &line_len))
        {
          gsize ind = indent_of (line, line_len);
          if (line_len > ind + 3 && strncmp (line + ind, "-> ", 3) == 0)
            {
              BounceRecipient *rcpt = legacy_add_named (report, view, line + ind + 3,
                                                        (gssize) (line_len - ind - 3), NULL, 0);
              legacy_set_diagnostic (report, rcpt, text);
            }
        }
    }
  return legacy_mta_finish (report, view);
}

/* ---- Barracuda ---------------------------------------------------------- */

/* "Your message to: addr\nwas blocked by our Spam Firewall. ..." */
gboolean
legacy_barracuda_recognise (BounceReport *report, const BounceView *view)
{
  const char *to = legacy_find_line (view->body, view->body_len, "Your message to:");
  const char *after, *para;
  g_autoptr(GString) text = g_string_new (NULL);
  BounceRecipient *rcpt;

  if (to == NULL)
    return FALSE;
  after = legacy_line_after (view->body, view->body_len, to);
  /* The next line says why: "was blocked by our Spam Firewall." */
  if (bounce_text_find (after, legacy_line_after (view->body, view->body_len, after) - after,
                        "was blocked by") == NULL)
    return FALSE;
  para = paragraph_end (after, body_end (view));
  append_lines (text, after, para);
  {
    const char *reason = legacy_find_line (view->body, view->body_len, "Reason:");
    if (reason != NULL)
      append_lines (text, reason, legacy_line_after (view->body, view->body_len, reason));
  }
  rcpt = legacy_add_named (report, view, to + 16, after - (to + 16), NULL, 0);
  legacy_set_diagnostic (report, rcpt, text);
  return legacy_mta_finish (report, view);
}

/* ---- Verizon ------------------------------------------------------------ */

/* vtext.com: "Error: ...\n\nError message below:\n550 ...\n\nMessage
 * details:\n  RCPT TO: addr"; vzwpix.com: "Message could not be delivered
 * to mobile." with "To: addr" among the details. */
gboolean
legacy_verizon_recognise (BounceReport *report, const BounceView *view)
{
  const char *below = legacy_find_line (view->body, view->body_len, "Error message below:");
  const char *details = legacy_find_line (view->body, view->body_len, "Message details:");
  const char *mobile = legacy_find_line (view->body, view->body_len, "Message could not be delivered to mobile.");
  const char *error = legacy_find_line (view->body, view->body_len, "Error:");
  g_autoptr(GString) text = g_string_new (NULL);
  const char *line, *rcpt_line = NULL;
  gsize line_len, pos;

  if (!((below != NULL && details != NULL) || mobile != NULL))
    return FALSE;
  if (error != NULL)
    append_lines (text, error, legacy_line_after (view->body, view->body_len, error));
  if (below != NULL)
    {
      const char *after = legacy_line_after (view->body, view->body_len, below);
      append_lines (text, after, paragraph_end (after, body_end (view)));
    }
  pos = (gsize) ((details ? details : mobile) - view->body);
  while (bounce_text_next_line (view->body, view->body_len, &pos, &line, &line_len))
    {
      gsize ind = indent_of (line, line_len);
      if ((line_len > ind + 8 && g_ascii_strncasecmp (line + ind, "RCPT TO:", 8) == 0)
          || (rcpt_line == NULL && line_len > ind + 3 && g_ascii_strncasecmp (line + ind, "To:", 3) == 0))
        rcpt_line = line;
    }
  if (rcpt_line != NULL)
    {
      const char *colon = strchr (rcpt_line, ':');
      const char *eol = legacy_line_after (view->body, view->body_len, rcpt_line);
      BounceRecipient *rcpt = legacy_add_named (report, view, colon + 1, eol - colon - 1, NULL, 0);
      legacy_set_diagnostic (report, rcpt, text);
      /* "550 - Requested action not taken": the server's answer opens the
       * lines below "Error message below:". */
      if (rcpt != NULL && below != NULL)
        {
          const char *after = legacy_line_after (view->body, view->body_len, below);
          if (after + 4 <= body_end (view) && after[0] >= '4' && after[0] <= '5'
              && g_ascii_isdigit (after[1]) && g_ascii_isdigit (after[2]) && after[3] == ' ')
            rcpt->reply_code = bounce_report_reply_code (report, after, 3);
        }
    }
  if (report->recipients->len == 0)
    return FALSE;
  return legacy_mta_finish (report, view);
}

/* ---- au: EZweb and KDDI ------------------------------------------------- */

static const char *const ezweb_markers[] = {
  "Each of the following recipients was rejected by a remote",
  "The user(s) account is disabled.",
  "The user(s) account is temporarily over quota.",
  "The user(s) account is temporarily unavailable.",
  "Your message was not delivered within",
  "The following recipients did not receive this message:",
  "This message was blocked for security reasons.",
};

gboolean
legacy_ezweb_recognise (BounceReport *report, const BounceView *view)
{
  const char *marker;
  const char *line;
  gsize line_len, pos = 0;
  BounceRecipient *rcpt = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GString) sentence = g_string_new (NULL);
  const char *end = legacy_returned_start (view);
  gboolean delayed;

  if (bounce_text_find (view->from, -1, "ezweb.ne.jp") == NULL
      && bounce_text_find (view->subject, -1, "Mail System Error - Returned Mail") == NULL)
    return FALSE;
  marker = legacy_mta_find_any (view, ezweb_markers, G_N_ELEMENTS (ezweb_markers));
  if (marker == NULL)
    return FALSE;
  delayed = bounce_text_find (view->body, (gssize) view->body_len, "Your message was not delivered within") != NULL;
  {
    /* The sentence's paragraph, up to a blank or a rule of dashes. */
    const char *stop = paragraph_end (marker, body_end (view));
    const char *rule = legacy_find_line (marker, (gsize) (stop - marker), "-----");
    append_lines (sentence, marker, rule ? rule : stop);
  }
  if (end == NULL || end < marker)
    end = body_end (view);
  while (bounce_text_next_line (view->body, (gsize) (end - view->body), &pos, &line, &line_len))
    {
      gsize ind = indent_of (line, line_len);
      const char *s = line + ind;
      gsize n = line_len - ind;
      g_autofree char *addr = NULL;

      if (n == 0)
        continue;
      if (n > 10 && g_ascii_strncasecmp (s, "Recipient:", 10) == 0)
        addr = bounce_text_address (s + 10, (gssize) n - 10);
      else if (s[0] == '<' && ind == 0)
        {
          const char *gt = memchr (s, '>', n);
          if (gt != NULL)
            {
              addr = bounce_text_address (s, gt + 1 - s);
              if (addr != NULL)
                {
                  legacy_set_diagnostic (report, rcpt, text);
                  g_string_truncate (text, 0);
                  g_string_append (text, sentence->str);
                  rcpt = legacy_add_named (report, view, addr, -1, NULL, 0);
                  if (gt + 1 < s + n && gt[1] == ':')
                    legacy_text_append (text, gt + 2, n - (gsize) (gt + 2 - s));
                  continue;
                }
            }
        }
      if (addr != NULL)
        {
          legacy_set_diagnostic (report, rcpt, text);
          g_string_truncate (text, 0);
          g_string_append (text, sentence->str);
          rcpt = legacy_add_named (report, view, addr, -1, NULL, 0);
          continue;
        }
      if (rcpt != NULL && n > 4 && (strncmp (s, ">>> ", 4) == 0 || strncmp (s, "<<< ", 4) == 0))
        legacy_text_append (text, s, n);
    }
  legacy_set_diagnostic (report, rcpt, text);
  legacy_set_all (report, delayed ? "delayed" : NULL, NULL);
  /* The reply of the rejecting server is the "<<<" line. */
  for (guint i = 0; i < report->recipients->len; i++)
    {
      BounceRecipient *r = g_ptr_array_index (report->recipients, i);
      const char *reply = r->diagnostic ? strstr (r->diagnostic, "<<< ") : NULL;
      if (reply != NULL && g_ascii_isdigit (reply[4]) && g_ascii_isdigit (reply[5]) && g_ascii_isdigit (reply[6]))
        r->reply_code = bounce_report_reply_code (report, reply + 4, 3);
    }
  return legacy_mta_finish (report, view);
}

gboolean
legacy_kddi_recognise (BounceReport *report, const BounceView *view)
{
  const char *sent = legacy_find_line (view->body, view->body_len, "Your mail sent on:");
  const char *to = legacy_find_line (view->body, view->body_len, "Could not be delivered to:");
  const char *after;
  g_autoptr(GString) text = g_string_new (NULL);
  BounceRecipient *rcpt;

  if (sent == NULL || to == NULL)
    return FALSE;
  after = legacy_line_after (view->body, view->body_len, to);
  append_lines (text, after, paragraph_end (after, body_end (view)));
  rcpt = legacy_add_named (report, view, to + 26, after - (to + 26), NULL, 0);
  legacy_set_diagnostic (report, rcpt, text);
  return legacy_mta_finish (report, view);
}

/* ---- Google Groups ------------------------------------------------------ */

/* A notice of Google's mailer daemon about a group: the failed address is
 * the group, in X-Failed-Recipients; the text explains in the sender's
 * language. */
gboolean
legacy_googlegroups_recognise (BounceReport *report, const BounceView *view)
{
  const char *failed = bounce_view_header (view, "X-Failed-Recipients");
  const char *end;
  g_autofree char *prose = NULL;

  if (failed == NULL || bounce_text_find (failed, -1, "@googlegroups.com") == NULL
      || bounce_text_find (view->body, (gssize) view->body_len, "Google Groups") == NULL)
    return FALSE;
  end = legacy_returned_start (view);
  prose = bounce_text_collapse (view->body, end ? end - view->body : (gssize) view->body_len);
  if (prose != NULL && strlen (prose) > GATEWAY_PROSE_MAX)
    {
      /* Cut at a character boundary. */
      gsize cut = GATEWAY_PROSE_MAX;
      while (cut > 0 && ((unsigned char) prose[cut] & 0xC0) == 0x80)
        cut--;
      prose[cut] = '\0';
    }
  {
    g_auto(GStrv) list = g_strsplit (failed, ",", -1);
    for (char **a = list; *a; a++)
      legacy_add_named (report, view, *a, -1, prose, -1);
  }
  return legacy_mta_finish (report, view);
}

/* ---- FML ---------------------------------------------------------------- */

/* The mailing-list manager's notices to a poster ("Loop Alert", "you are
 * not a member"): the list's address in angle brackets is what refused. */
gboolean
legacy_fml_recognise (BounceReport *report, const BounceView *view)
{
  const char *ml = bounce_view_header (view, "X-MLServer");
  const char *mid = bounce_view_header (view, "Message-Id");
  const char *end, *line;
  gsize line_len, pos = 0;

  if ((ml == NULL || bounce_text_find (ml, -1, "fml") == NULL)
      && (mid == NULL || bounce_text_find (mid, -1, "FML") == NULL))
    return FALSE;
  if (bounce_text_find (view->from, -1, "-admin@") == NULL)
    return FALSE;
  {
    static const char *const ends[] = { "Original mail as follows:" };
    end = legacy_mta_region_end (view, view->body, ends, G_N_ELEMENTS (ends));
  }
  while (bounce_text_next_line (view->body, (gsize) (end - view->body), &pos, &line, &line_len))
    {
      const char *lt = memchr (line, '<', line_len);
      const char *gt = lt ? memchr (lt, '>', line_len - (gsize) (lt - line)) : NULL;
      if (gt != NULL && memchr (lt, '@', (gsize) (gt - lt)) != NULL)
        legacy_add_named (report, view, lt, gt + 1 - lt, line, (gssize) line_len);
    }
  if (report->recipients->len == 0)
    return FALSE;
  return legacy_mta_finish (report, view);
}

/* ---- Lotus Notes (R4 SMTP MTA) and Domino ------------------------------- */

gboolean
legacy_notes_recognise (BounceReport *report, const BounceView *view)
{
  const char *start = legacy_find_line (view->body, view->body_len, "------- Failure Reasons");
  const char *end, *line;
  gsize line_len, pos;
  g_autoptr(GString) text = g_string_new (NULL);

  if (start == NULL)
    return FALSE;
  {
    static const char *const ends[] = { "------- Returned Message" };
    end = legacy_mta_region_end (view, start, ends, G_N_ELEMENTS (ends));
  }
  pos = (gsize) (legacy_line_after (view->body, view->body_len, start) - view->body);
  while (bounce_text_next_line (view->body, (gsize) (end - view->body), &pos, &line, &line_len))
    {
      g_autofree char *addr = bare_address_line (line, line_len);
      if (addr != NULL)
        {
          BounceRecipient *rcpt = legacy_add_named (report, view, addr, -1, NULL, 0);
          legacy_set_diagnostic (report, rcpt, text);
          g_string_truncate (text, 0);
        }
      else
        legacy_text_append (text, line, line_len);
    }
  return legacy_mta_finish (report, view);
}

/* "Your message\n\n  Subject: ...\n\nwas not delivered to:\n\n  addr\n\n
 * because:\n\n  reason". */
gboolean
legacy_domino_recognise (BounceReport *report, const BounceView *view)
{
  const char *to = legacy_find_line (view->body, view->body_len, "was not delivered to:");
  const char *because, *line, *after;
  gsize line_len, pos;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GPtrArray) added = g_ptr_array_new ();

  if (to == NULL || legacy_find_line (view->body, view->body_len, "Your message") == NULL)
    return FALSE;
  because = legacy_find_line (to, view->body_len - (gsize) (to - view->body), "because:");
  if (because == NULL)
    return FALSE;
  after = legacy_line_after (view->body, view->body_len, because);
  pos = (gsize) (after - view->body);
  while (bounce_text_next_line (view->body, view->body_len, &pos, &line, &line_len))
    {
      if (legacy_line_is_blank (line, line_len))
        {
          if (text->len > 0)
            break;
          continue;
        }
      legacy_text_append (text, line, line_len);
    }
  pos = (gsize) (legacy_line_after (view->body, view->body_len, to) - view->body);
  while (bounce_text_next_line (view->body, (gsize) (because - view->body), &pos, &line, &line_len))
    {
      g_autofree char *addr = bare_address_line (line, line_len);
      BounceRecipient *rcpt;
      if (addr == NULL)
        addr = bounce_text_address (line, (gssize) line_len);
      if (addr == NULL)
        continue;
      rcpt = legacy_add_named (report, view, addr, -1, NULL, 0);
      legacy_set_diagnostic (report, rcpt, text);
    }
  return legacy_mta_finish (report, view);
}

/* ---- Sun/Oracle Messaging Server (and PMDF) ----------------------------- */

/* Whether @s is a header field "Name: value" (RFC 5322 2.2 field-name). */
static gboolean
is_field (const char *s, gsize n)
{
  gsize i = 0;

  while (i < n && (g_ascii_isalnum (s[i]) || s[i] == '-'))
    i++;
  return i > 0 && i < n && s[i] == ':';
}

/* "Your message cannot be delivered to the following recipients:" then
 * "  Recipient address: a", "  Original address: b", "  Reason: ...",
 * "  Diagnostic code: smtp;550 ...", "  Remote system: dns;host (...)". */
gboolean
legacy_messagingserver_recognise (BounceReport *report, const BounceView *view)
{
  const char *intro = legacy_find_line (view->body, view->body_len,
                                        "This report relates to a message you sent with the following header fields:");
  const char *line;
  gsize line_len, pos;
  BounceRecipient *rcpt = NULL;
  g_autoptr(GString) reason = g_string_new (NULL);
  g_autoptr(GString) code = g_string_new (NULL);
  g_autofree char *original = NULL;
  gboolean delayed;

  if (intro == NULL)
    return FALSE;
  delayed = bounce_text_find (view->subject, -1, "delayed") != NULL
            || bounce_text_find (view->body, (gssize) view->body_len, "Your message has been delayed") != NULL;
  pos = (gsize) (intro - view->body);
  while (bounce_text_next_line (view->body, view->body_len, &pos, &line, &line_len))
    {
      gsize ind = indent_of (line, line_len);
      const char *s = line + ind;
      gsize n = line_len - ind;

      if (n > 18 && g_ascii_strncasecmp (s, "Recipient address:", 18) == 0)
        {
          if (rcpt != NULL)
            {
              g_string_append_c (reason, ' ');
              g_string_append_len (reason, code->str, (gssize) code->len);
              legacy_set_diagnostic (report, rcpt, reason);
            }
          g_string_truncate (reason, 0);
          g_string_truncate (code, 0);
          rcpt = legacy_add_named (report, view, s + 18, (gssize) n - 18, NULL, 0);
          if (rcpt != NULL && original != NULL)
            rcpt->original_recipient = bounce_report_str (report, original);
          g_clear_pointer (&original, g_free);
        }
      else if (n > 17 && g_ascii_strncasecmp (s, "Original address:", 17) == 0)
        {
          /* Before or after the recipient address, by version. */
          g_free (original);
          original = bounce_text_address (s + 17, (gssize) n - 17);
          if (rcpt != NULL && rcpt->original_recipient == NULL && original != NULL
              && reason->len == 0 && code->len == 0)
            {
              rcpt->original_recipient = bounce_report_str (report, original);
              g_clear_pointer (&original, g_free);
            }
        }
      else if (rcpt != NULL && n > 7 && g_ascii_strncasecmp (s, "Reason:", 7) == 0)
        legacy_text_append (reason, s + 7, n - 7);
      else if (rcpt != NULL && n > 16 && g_ascii_strncasecmp (s, "Diagnostic code:", 16) == 0)
        {
          const char *semi = memchr (s, ';', n);
          const char *v = semi ? semi + 1 : s + 16;
          legacy_text_append (code, v, n - (gsize) (v - s));
        }
      else if (rcpt != NULL && n > 14 && g_ascii_strncasecmp (s, "Remote system:", 14) == 0)
        {
          const char *semi = memchr (s, ';', n);
          const char *v = semi ? semi + 1 : s + 14;
          legacy_set_remote (report, rcpt, v, (gssize) (n - (gsize) (v - s)));
        }
      else if (ind == 0 && rcpt != NULL && is_field (s, n))
        break;  /* the delivery-status fields that follow */
    }
  if (rcpt != NULL)
    {
      g_string_append_c (reason, ' ');
      g_string_append_len (reason, code->str, (gssize) code->len);
      legacy_set_diagnostic (report, rcpt, reason);
    }
  legacy_set_all (report, delayed ? "delayed" : NULL, NULL);
  return legacy_mta_finish (report, view);
}

/* ---- MXLogic ------------------------------------------------------------ */

/* Exim's layout from an MXLogic host. */
gboolean
legacy_mxlogic_recognise (BounceReport *report, const BounceView *view)
{
  if (bounce_text_find (view->from, -1, "mxlogic") == NULL
      && bounce_view_header (view, "X-MXL-NoteHash") == NULL
      && bounce_text_find (view->body, (gssize) view->body_len, "(mxl_mta-") == NULL)
    return FALSE;
  return legacy_exim_recognise (report, view);
}

/* ---- unnamed layouts ---------------------------------------------------- */

/* "addr [reason]"; blank lines before the first recipient are skipped, the
 * first blank line after one ends the list, and so does any line that does
 * not start with an address. */
static gboolean
x1_list_line (BounceReport *report, const BounceView *view, const char *line, gsize line_len)
{
  const char *sp = memchr (line, ' ', line_len);
  const char *open, *close;

  if (legacy_line_is_blank (line, line_len))
    return report->recipients->len == 0;
  if (sp == NULL || memchr (line, '@', (gsize) (sp - line)) == NULL)
    return FALSE;
  open = memchr (sp, '[', line_len - (gsize) (sp - line));
  close = open ? memchr (open, ']', line_len - (gsize) (open - line)) : NULL;
  legacy_add_named (report, view, line, sp - line,
                    open ? open + 1 : sp, open && close ? close - open - 1
                                                         : line + line_len - sp);
  return TRUE;
}

/* x1: "---The following addresses had delivery errors---" then "addr
 * [reason]" lines. */
gboolean
legacy_x1_recognise (BounceReport *report, const BounceView *view)
{
  return recognise_list (report, view, "---The following addresses had delivery errors---",
                         x1_list_line);
}

/* x3: "This is an automatically generated Delivery Status Notification."
 * with "  * addr" lines and a "Technical details:" section. */
gboolean
legacy_x3_recognise (BounceReport *report, const BounceView *view)
{
  const char *intro = legacy_find_line (view->body, view->body_len,
                                        "This is an automatically generated Delivery Status Notification.");
  const char *details, *line;
  gsize line_len, pos;
  g_autoptr(GString) text = g_string_new (NULL);
  gboolean delayed;

  if (intro == NULL)
    return FALSE;
  delayed = bounce_text_find (view->body, (gssize) view->body_len, "was aborted after") != NULL
            || bounce_text_find (view->body, (gssize) view->body_len, "failed temporarily") != NULL;
  details = legacy_find_line (view->body, view->body_len, "Technical details:");
  if (details != NULL)
    {
      const char *after = legacy_line_after (view->body, view->body_len, details);
      pos = (gsize) (after - view->body);
      while (bounce_text_next_line (view->body, view->body_len, &pos, &line, &line_len))
        {
          if (line_len >= 10 && strncmp (line, "==========", 10) == 0)
            break;
          legacy_text_append (text, line, line_len);
        }
    }
  pos = (gsize) (intro - view->body);
  while (bounce_text_next_line (view->body, (gsize) ((details ? details : body_end (view)) - view->body),
                                &pos, &line, &line_len))
    {
      gsize ind = indent_of (line, line_len);
      if (line_len > ind + 2 && line[ind] == '*' && line[ind + 1] == ' ')
        {
          BounceRecipient *rcpt = legacy_add_named (report, view, line + ind + 2,
                                                    (gssize) (line_len - ind - 2), NULL, 0);
          legacy_set_diagnostic (report, rcpt, text);
          if (rcpt != NULL && delayed)
            rcpt->action = "delayed";
          if (rcpt != NULL)
            legacy_mta_remote_after (report, rcpt, rcpt->diagnostic, "host ");
        }
    }
  return legacy_mta_finish (report, view);
}

/* x6: "We had trouble delivering your message. Full details follow:" then
 * "The following recipients returned permanent errors: a, b. Reason: ..."
 * or "SMTP Server <host> rejected recipient <addr> (...)". */
gboolean
legacy_x6_recognise (BounceReport *report, const BounceView *view)
{
  const char *intro = legacy_find_line (view->body, view->body_len,
                                        "We had trouble delivering your message. Full details follow:");
  const char *line;
  gsize line_len, pos;

  if (intro == NULL)
    return FALSE;
  pos = (gsize) (intro - view->body);
  while (bounce_text_next_line (view->body, view->body_len, &pos, &line, &line_len))
    {
      const char *list = bounce_text_find (line, (gssize) line_len, "returned permanent errors:");
      const char *temp = bounce_text_find (line, (gssize) line_len, "returned temporary errors:");
      const char *rej = bounce_text_find (line, (gssize) line_len, "rejected recipient <");

      if (list != NULL || temp != NULL)
        {
          const char *s = (list ? list : temp) + 26;
          const char *reason = bounce_text_find (s, (gssize) (line_len - (gsize) (s - line)), ". Reason:");
          const char *stop = reason ? reason : line + line_len;
          g_autofree char *names = g_strndup (s, (gsize) (stop - s));
          g_auto(GStrv) each = g_strsplit (names, ",", -1);

          for (char **a = each; *a; a++)
            {
              BounceRecipient *rcpt = legacy_add_named (report, view, *a, -1, line, (gssize) line_len);
              if (rcpt != NULL && temp != NULL)
                rcpt->action = "delayed";
              if (rcpt != NULL && reason != NULL)
                legacy_mta_remote_after (report, rcpt, reason, "SMTP Server <");
            }
        }
      else if (rej != NULL)
        {
          BounceRecipient *rcpt = legacy_add_named (report, view, rej + 19,
                                                    (gssize) (line_len - (gsize) (rej + 19 - line)),
                                                    line, (gssize) line_len);
          legacy_mta_remote_after (report, rcpt, line, "SMTP Server <");
        }
    }
  return legacy_mta_finish (report, view);
}
