/* legacy-provider-webmail.c - notices of webmail providers: Yahoo, mail.ru,
 * GMX and 1&1, Zoho
 *
 * See legacy-provider.c for the layouts and the rules all provider
 * recognisers follow.
 */
#include "legacy-provider-private.h"

/* ---- Yahoo (and its qmail-derived MTA) ---------------------------------- */

gboolean
legacy_yahoo_recognise (BounceReport *report, const BounceView *view)
{
  const char *intro;
  const char *end;
  const char *line;
  gsize line_len, pos, limit;
  BounceRecipient *current = NULL;
  g_autoptr(GString) diag = g_string_new (NULL);

  if (!legacy_is_daemon_notice (view))
    return FALSE;
  intro = head_find (view, "Sorry, we were unable to deliver your message to the following address");
  if (intro == NULL)
    return FALSE;
  end = body_find (view, "--- Below this line is a copy of the message");
  limit = end && end > intro ? body_offset (view, end) : view->body_len;
  pos = after_line (view, intro);

  /* <addr>:
   * Remote host said: 550 5.1.1 <addr>... User Unknown [RCPT_TO]  */
  for (;;)
    {
      gboolean more = bounce_text_next_line (view->body, limit, &pos, &line, &line_len);
      g_autofree char *addr = NULL;

      if (more && line_len > 0 && line[0] == '<')
        addr = line_address (line, line_len);
      if (!more || addr != NULL)
        {
          if (current != NULL && diag->len > 0)
            {
              /* "Remote host said:" introduces the server's own answer. */
              const char *said = bounce_text_find (diag->str, -1, "Remote host said:");
              const char *t = said ? said + 17 : diag->str;
              char code[4];

              set_diagnostic (report, current, t, -1);
              if (leading_reply_code (t, strlen (t), code))
                current->reply_code = bounce_report_reply_code (report, code, -1);
            }
          g_string_truncate (diag, 0);
          if (!more)
            break;
          current = legacy_add (report, view, addr, -1, NULL, 0);
          continue;
        }
      if (current != NULL && !line_blank (line, line_len))
        legacy_text_append (diag, line, line_len);
    }
  return report->recipients->len > 0;
}

/* ---- Exim's layout, as mail.ru sends it ---------------------------------- */

/*   addr
 *     SMTP error from remote mail server after RCPT TO:<addr>:
 *     host mx.example.org [192.0.2.1]: 550 5.1.1 <addr>... User unknown
 * An address alone on a line opens a recipient; the deeper indented lines
 * below it are the diagnostic; "(generated from ...)" names an alias the
 * address came from, not a recipient. */
static void
exim_block (BounceReport *report, const BounceView *view, gsize pos, gsize limit)
{
  const char *line;
  gsize line_len;
  BounceRecipient *current = NULL;
  g_autoptr(GString) diag = g_string_new (NULL);

  for (;;)
    {
      gboolean more = bounce_text_next_line (view->body, limit, &pos, &line, &line_len);
      g_autofree char *addr = more ? line_address (line, line_len) : NULL;
      gboolean blank = more && line_blank (line, line_len);
      /* Text at the left margin after the addresses ends the list. */
      gboolean margin = more && !blank && addr == NULL && line_indent (line, line_len) == 0;

      if (!more || addr != NULL || blank || margin)
        {
          if (current != NULL && diag->len > 0)
            {
              set_diagnostic (report, current, diag->str, -1);
              remote_after (report, current, diag->str, "host ");
              reply_code_after (report, current, diag->str, "]: ");
            }
          g_string_truncate (diag, 0);
          current = NULL;
          if (!more || (margin && report->recipients->len > 0))
            break;
          if (addr != NULL)
            current = legacy_add (report, view, addr, -1, NULL, 0);
          continue;
        }
      if (current == NULL)
        continue;
      {
        gsize ind = line_indent (line, line_len);
        if (starts_with (line + ind, line_len - ind, "(generated from"))
          continue;
      }
      legacy_text_append (diag, line, line_len);
    }
}

static const char *const mailru_markers[] = {
  "The following address(es) failed:",
  "одному или нескольким получателям:",
};

gboolean
legacy_mailru_recognise (BounceReport *report, const BounceView *view)
{
  const char *marker = NULL;
  const char *end;

  if (!legacy_is_daemon_notice (view))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (mailru_markers); i++)
    {
      const char *m = head_find (view, mailru_markers[i]);
      if (m != NULL && (marker == NULL || m < marker))
        marker = m;
    }
  if (marker == NULL)
    return FALSE;
  /* Sent by mail.ru, or naming Mail.Ru in the preamble before the list (not
   * in the returned message, which may mention anything). */
  if (!from_has (view, "mail.ru")
      && bounce_text_find (view->body, marker - view->body, "Mail.Ru") == NULL)
    return FALSE;
  end = legacy_returned_start (view);
  exim_block (report, view, after_line (view, marker),
              end && end > marker ? body_offset (view, end) : view->body_len);
  if (head_find (view, "This is a temporary error") != NULL
      || head_find (view, "has not yet been delivered") != NULL)
    all_delayed (report);
  return report->recipients->len > 0;
}

/* ---- GMX and 1&1 (kundenserver.de, web.de) ------------------------------- */

/* "addr":  or  addr:
 * SMTP error from remote server after RCPT command:
 * host: mx.example.org
 * 5.1.1 <addr>... User unknown
 * or on one line: "SMTP error from remote server for TEXT command, host:
 * mx.example.org (192.0.2.1) reason: 550 5.2.0 ...". */
static gboolean
einsundeins_parse (BounceReport *report, const BounceView *view)
{
  const char *perm = body_find (view, "This is a permanent error.");
  const char *end = body_find (view, "--- The header of the original message is following. ---");
  const char *line;
  gsize line_len, pos, limit;
  BounceRecipient *current = NULL;
  g_autoptr(GString) diag = g_string_new (NULL);

  if (perm == NULL)
    return FALSE;
  limit = end && end > perm ? body_offset (view, end) : view->body_len;
  pos = body_offset (view, perm);
  for (;;)
    {
      gboolean more = bounce_text_next_line (view->body, limit, &pos, &line, &line_len);
      g_autofree char *addr = NULL;

      if (more && line_len > 1 && line[line_len - 1] == ':')
        addr = line_address (line, line_len);
      if (!more || addr != NULL)
        {
          if (current != NULL && diag->len > 0)
            {
              const char *reason;
              set_diagnostic (report, current, diag->str, -1);
              remote_after (report, current, diag->str, "host:");
              reason = bounce_text_find (diag->str, -1, "reason:");
              if (reason != NULL)
                set_diagnostic (report, current, reason + 7, -1);
              reply_code_after (report, current, diag->str, "reason:");
            }
          g_string_truncate (diag, 0);
          if (!more)
            break;
          current = legacy_add (report, view, addr, -1, NULL, 0);
          continue;
        }
      if (current == NULL || line_blank (line, line_len))
        continue;
      /* "host: mx.example.org" alone on its line: the server's answer
       * follows on the next lines. */
      if (starts_with (line, line_len, "host:")
          && bounce_text_find (line, (gssize) line_len, "reason:") == NULL)
        {
          g_autofree char *h = g_strndup (line, line_len);
          remote_after (report, current, h, "host:");
          g_string_truncate (diag, 0);
          continue;
        }
      legacy_text_append (diag, line, line_len);
    }
  return report->recipients->len > 0;
}

gboolean
legacy_gmx_recognise (BounceReport *report, const BounceView *view)
{
  if (!from_has (view, "gmx.") || !legacy_is_daemon_notice (view))
    return FALSE;
  return einsundeins_parse (report, view);
}

gboolean
legacy_einsundeins_recognise (BounceReport *report, const BounceView *view)
{
  if (!from_has (view, "kundenserver.de") && !from_has (view, "@web.de")
      && !from_has (view, "1und1.") && !from_has (view, "ionos."))
    return FALSE;
  if (!legacy_is_daemon_notice (view))
    return FALSE;
  return einsundeins_parse (report, view);
}

/* ---- Zoho Mail ------------------------------------------------------------ */

gboolean
legacy_zoho_recognise (BounceReport *report, const BounceView *view)
{
  const char *line;
  gsize line_len, pos = 0, limit = view->body_len;
  const char *quoted;
  gboolean warning;

  if (!from_has (view, "zoho") || !legacy_is_daemon_notice (view))
    return FALSE;
  warning = head_find (view, "THIS IS A WARNING MESSAGE ONLY") != NULL;
  /* The returned message's headers follow the report, unmarked. */
  quoted = body_find (view, "\nReceived:");
  if (quoted != NULL)
    limit = body_offset (view, quoted);

  while (bounce_text_next_line (view->body, limit, &pos, &line, &line_len))
    {
      BounceRecipient *r = NULL;
      const char *code;

      /* addr Invalid Address, ERROR_CODE :550, ERROR_CODE :5.1.1 <addr>... */
      code = bounce_text_find (line, (gssize) line_len, "ERROR_CODE :");
      if (code != NULL)
        {
          const char *sp = memchr (line, ' ', line_len);
          if (sp == NULL || sp > code)
            continue;
          {
            g_autofree char *addr = line_address (line, (gsize) (sp - line));
            if (addr == NULL)
              continue;
            r = legacy_add (report, view, addr, -1, NULL, 0);
          }
          if (r == NULL)
            continue;
          set_diagnostic (report, r, sp + 1, (gssize) (line_len - (gsize) (sp + 1 - line)));
          reply_code_after (report, r, r->diagnostic, "ERROR_CODE :");
          continue;
        }
      /* [Status: Error, Address: <addr>, ResponseCode 421, , Host not reachable.] */
      code = bounce_text_find (line, (gssize) line_len, "Address: <");
      if (code != NULL && line[0] == '[')
        {
          const char *gt = memchr (code, '>', line_len - (gsize) (code - line));
          const char *rc = bounce_text_find (line, (gssize) line_len, "ResponseCode ");
          if (gt == NULL)
            continue;
          r = legacy_add (report, view, code + 9, gt - code - 8, NULL, 0);
          if (r == NULL)
            continue;
          {
            const char *t = rc ? rc : gt + 1;
            const char *e = line + line_len;
            while (*t == ',' || *t == ' ' || *t == '>')
              t++;
            if (e > t && e[-1] == ']')
              e--;
            set_diagnostic (report, r, t, e - t);
          }
          reply_code_after (report, r, r->diagnostic, "ResponseCode ");
        }
    }
  if (report->recipients->len == 0)
    return FALSE;
  if (warning)
    all_delayed (report);
  if (quoted != NULL && report->original.message_id == NULL)
    original_from_text (report, quoted + 1, view->body_len - body_offset (view, quoted) - 1,
                        view->settings);
  return TRUE;
}
