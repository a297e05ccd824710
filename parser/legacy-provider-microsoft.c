/* legacy-provider-microsoft.c - notices of Microsoft Exchange 2000-2019,
 * Exchange Online (Office 365) and Outlook.com/Hotmail
 *
 * See legacy-provider.c for the layouts and the rules all provider
 * recognisers follow.
 */
#include "legacy-provider-private.h"

/* ---- Microsoft Exchange 2007 and later, Office 365, Outlook.com --------- */

/* Longest "Display Name (address)" line taken for a recipient. */
#define EXCHANGE_MAX_NAME_LINE 200

static const char *const exchange_delayed_intros[] = {
  "Delivery is delayed to these recipients or groups",
  "Delivery to these recipients or groups is delayed",
  "hasn't been delivered yet",
};

static const char *const exchange_failed_intros[] = {
  "Delivery has failed to these recipients or groups",
  "Your message to",
  "Your message couldn't be delivered",
  "Your message wasn't delivered",
  "The following recipient(s) cannot be reached",
};

/* Reads one recipient's diagnostic lines of the administrators' section:
 *   Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'
 *   Remote Server at mx.example.org (192.0.2.1) returned '...'
 *   #550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##
 *   mx.example.org #550 5.1.1 ... ##                    (Exchange 2010)
 * and keeps the server's answer as the diagnostic. */
static void
exchange_diagnostic (BounceReport *report, BounceRecipient *rcpt, const char *text)
{
  const char *ret, *q, *hash;

  if (rcpt == NULL || text == NULL)
    return;
  ret = bounce_text_find (text, -1, " returned '");
  if (ret != NULL)
    {
      const char *at = bounce_text_find (text, ret - text, "Remote Server at ");
      const char *nl = strchr (text, '\n');

      if (at != NULL)
        remote_after (report, rcpt, at, "Remote Server at ");
      else if (nl != NULL && nl < ret)
        {
          /* Exchange 2013 and later name the server on the line before:
           *   mx.example.org
           *   Remote Server returned '550 5.1.1 ...'  */
          g_autofree char *first = g_strstrip (g_strndup (text, (gsize) (nl - text)));
          if (strchr (first, ' ') == NULL && strchr (first, '.') != NULL
              && strchr (first, '@') == NULL && strchr (first, '\'') == NULL)
            rcpt->remote_mta = bounce_report_str (report, first);
        }
      /* The answer ends with the quote at the end of its line; the lines
       * after it may log earlier attempts. */
      q = ret + strlen (" returned '");
      {
        const char *end = strstr (q, "'\n");
        const char *smtp;

        if (end == NULL)
          end = strrchr (q, '\'');
        /* Exchange relaying a remote answer in its own brackets:
         *   Remote Server returned '<mx.example.org #5.1.1 smtp;550 5.1.1 ...>'  */
        if (*q == '<' && end != NULL && end > q && end[-1] == '>'
            && (smtp = bounce_text_find (q, end - q, " smtp;")) != NULL)
          {
            const char *code = memchr (q, '#', (gsize) (smtp - q));
            char status[16];

            if (code != NULL && dsn_status_find (code + 1, status)
                && strncmp (code + 1, status, strlen (status)) == 0 && rcpt->status == NULL)
              rcpt->status = bounce_report_str (report, status);
            if (rcpt->remote_mta == NULL && code != NULL && code > q + 1)
              {
                g_autofree char *host = g_strstrip (g_strndup (q + 1, (gsize) (code - q - 1)));
                if (*host != '\0' && strchr (host, ' ') == NULL && strchr (host, '.') != NULL)
                  rcpt->remote_mta = bounce_report_str (report, host);
              }
            q = smtp + strlen (" smtp;");
            end--;
          }
        set_diagnostic (report, rcpt, q, end && end > q ? end - q : -1);
      }
      return;
    }
  /* Exchange 2007/2010 relaying a remote answer:
   *   #< #5.1.1 smtp;550 5.1.1 <addr>: Recipient address rejected> #SMTP#  */
  hash = strstr (text, "#< #");
  if (hash != NULL)
    {
      const char *p = hash + 4, *end = strstr (p, "> #SMTP#");
      char code[16];
      const char *semi;

      if (dsn_status_find (p, code) && strncmp (p, code, strlen (code)) == 0)
        {
          rcpt->status = bounce_report_str (report, code);
          p += strlen (code);
        }
      while (*p == ' ')
        p++;
      semi = strchr (p, ';');
      if (semi != NULL && (end == NULL || semi < end) && semi - p < 16
          && memchr (p, ' ', (gsize) (semi - p)) == NULL)
        p = semi + 1;
      set_diagnostic (report, rcpt, p, end ? end - p : -1);
      return;
    }
  hash = strchr (text, '#');
  if (hash != NULL && g_ascii_isdigit (hash[1]))
    {
      const char *end = strstr (hash + 1, "##");
      if (hash > text)
        {
          /* "host #550 ...": the host that answered. */
          g_autofree char *before = g_strndup (text, (gsize) (hash - text));
          g_strstrip (before);
          if (*before != '\0' && strchr (before, ' ') == NULL && strchr (before, '.') != NULL)
            rcpt->remote_mta = bounce_report_str (report, before);
        }
      set_diagnostic (report, rcpt, hash + 1, end ? end - hash - 1 : -1);
      return;
    }
  set_diagnostic (report, rcpt, text, -1);
}

/* The title of the administrators' section, in the languages Exchange
 * writes its notices in (the section's content stays in English). */
static const char *const exchange_sections[] = {
  "Diagnostic information for administrators:",
  "Diagnoseinformationen für Administratoren:",
  "Informations de diagnostic pour les administrateurs",
  "Información de diagnóstico para administradores:",
  "Informazioni di diagnostica per gli amministratori:",
  "Diagnostische informatie voor beheerders:",
  "Informações de diagnóstico para administradores:",
  "管理者向けの診断情報:",
};

static const char *
exchange_section (const BounceView *view)
{
  for (gsize i = 0; i < G_N_ELEMENTS (exchange_sections); i++)
    {
      const char *p = head_find (view, exchange_sections[i]);
      if (p != NULL)
        return p;
    }
  return NULL;
}

static gboolean
exchange_is_ndr (const BounceView *view)
{
  return header_has (view, "X-MS-Exchange-Message-Is-Ndr", NULL)
         || legacy_is_daemon_notice (view)
         || g_str_has_prefix (view->subject, "Undeliverable")
         || g_str_has_prefix (view->subject, "Delivery delayed");
}

static gboolean
exchange_parse (BounceReport *report, const BounceView *view)
{
  const char *section = exchange_section (view);
  const char *line;
  gsize line_len, pos;
  BounceRecipient *current = NULL;
  g_autoptr(GString) diag = g_string_new (NULL);
  g_autofree char *generating = NULL;
  gsize limit, headers = 0;
  gboolean delayed = FALSE;

  for (gsize i = 0; i < G_N_ELEMENTS (exchange_delayed_intros); i++)
    if (head_find (view, exchange_delayed_intros[i]) != NULL)
      delayed = TRUE;

  if (section != NULL)
    {
      pos = after_line (view, section);
      while (bounce_text_next_line (view->body, view->body_len, &pos, &line, &line_len))
        {
          g_autofree char *addr = NULL;
          gsize ind = line_indent (line, line_len);

          /* The next section's title ("Original message headers:" in
           * whatever language): a line ending in a colon after the
           * recipients' blocks. */
          if (starts_with (line + ind, line_len - ind, "Original message headers:")
              || (current == NULL && report->recipients->len > 0 && line_len > 1
                  && line[line_len - 1] == ':' && memchr (line, '@', line_len) == NULL))
            {
              headers = pos;
              break;
            }
          if (starts_with (line + ind, line_len - ind, "Generating server:"))
            {
              g_free (generating);
              generating = bounce_text_collapse (line + ind + 18, (gssize) (line_len - ind - 18));
              continue;
            }
          if (line_blank (line, line_len))
            {
              if (current != NULL)
                exchange_diagnostic (report, current, diag->str);
              current = NULL;
              g_string_truncate (diag, 0);
              continue;
            }
          addr = line_address (line, line_len);
          if (addr != NULL)
            {
              if (current != NULL)
                exchange_diagnostic (report, current, diag->str);
              g_string_truncate (diag, 0);
              current = legacy_add (report, view, addr, -1, NULL, 0);
              continue;
            }
          if (current != NULL)
            {
              g_string_append_len (diag, line, (gssize) line_len);
              g_string_append_c (diag, '\n');
            }
        }
      if (current != NULL)
        exchange_diagnostic (report, current, diag->str);
    }

  /* No administrators' section (or nobody in it): the addresses listed
   * under the introduction, each followed by the explanation. */
  if (report->recipients->len == 0)
    {
      const char *intro = NULL;

      for (gsize i = 0; i < G_N_ELEMENTS (exchange_failed_intros) && intro == NULL; i++)
        intro = body_find (view, exchange_failed_intros[i]);
      for (gsize i = 0; i < G_N_ELEMENTS (exchange_delayed_intros) && intro == NULL; i++)
        intro = body_find (view, exchange_delayed_intros[i]);
      if (intro == NULL)
        return FALSE;
      pos = after_line (view, intro);
      limit = view->body_len;
      {
        const char *end = legacy_returned_start (view);
        if (end != NULL && end > intro)
          limit = body_offset (view, end);
        end = body_find (view, "Original message headers:");
        if (end != NULL && end > intro && body_offset (view, end) < limit)
          limit = body_offset (view, end);
      }
      g_string_truncate (diag, 0);
      for (;;)
        {
          gboolean more = bounce_text_next_line (view->body, limit, &pos, &line, &line_len);
          g_autofree char *addr = more ? line_address (line, line_len) : NULL;

          /* Exchange 2007 writes "Display Name (addr@example.org)". */
          if (more && addr == NULL && line_len > 0 && line_len < EXCHANGE_MAX_NAME_LINE
              && (line[line_len - 1] == ')' || line[line_len - 1] == '>'))
            addr = bounce_text_address (line, (gssize) line_len);
          if (!more || addr != NULL || line_blank (line, line_len))
            {
              /* The explanation of a recipient ends at a blank line. */
              if (current != NULL && diag->len > 0)
                set_diagnostic (report, current, diag->str, -1);
              g_string_truncate (diag, 0);
              if (!more)
                break;
              if (addr != NULL)
                current = legacy_add (report, view, addr, -1, NULL, 0);
              else if (current != NULL && current->diagnostic != NULL)
                current = NULL;
              continue;
            }
          if (current == NULL)
            continue;
          legacy_text_append (diag, line, line_len);
        }
    }
  if (report->recipients->len == 0)
    return FALSE;
  if (delayed)
    all_delayed (report);
  if (report->reporting_mta == NULL)
    report->reporting_mta = bounce_report_str (report, generating);
  /* The headers of the returned message follow that title. */
  if (headers > 0 && report->original.message_id == NULL && view->returned == NULL)
    original_from_text (report, view->body + headers, view->body_len - headers, view->settings);
  return TRUE;
}

/* Exchange Online names its servers *.outlook.com (prod.outlook.com,
 * protection.outlook.com) and stamps cross-tenant headers. */
static gboolean
is_exchange_online (const BounceView *view)
{
  const char *gen = head_find (view, "Generating server:");

  if (gen != NULL)
    {
      const char *nl = strchr (gen, '\n');
      if (bounce_text_find (gen, nl ? nl - gen : -1, ".outlook.com") != NULL)
        return TRUE;
    }
  return header_has (view, "X-MS-Exchange-CrossTenant-OriginalArrivalTime", NULL)
         || header_has (view, "X-MS-Exchange-Transport-CrossTenantHeadersStamped", NULL);
}

gboolean
legacy_office365_recognise (BounceReport *report, const BounceView *view)
{
  if (!exchange_is_ndr (view) || !is_exchange_online (view))
    return FALSE;
  return exchange_parse (report, view);
}

gboolean
legacy_exchange2007_recognise (BounceReport *report, const BounceView *view)
{
  if (!exchange_is_ndr (view)
      || (exchange_section (view) == NULL
          && head_find (view, "Delivery has failed to these recipients or groups") == NULL
          && head_find (view, "Delivery is delayed to these recipients or groups") == NULL))
    return FALSE;
  return exchange_parse (report, view);
}

/* ---- Microsoft Exchange 2000/2003 and its Internet Mail Service --------- */

static const char *const exchange2003_markers[] = {
  "did not reach the following recipient(s):",
  "The following recipient(s) could not be reached:",
};

gboolean
legacy_exchange2003_recognise (BounceReport *report, const BounceView *view)
{
  const char *marker = NULL;
  const char *line;
  gsize line_len, pos;
  BounceRecipient *current = NULL;
  g_autoptr(GString) diag = g_string_new (NULL);
  gboolean skip_next = FALSE;

  if (!header_has (view, "X-MS-Embedded-Report", NULL)
      && !header_has (view, "X-Mailer", "Internet Mail Service")
      && !header_has (view, "X-Mailer", "Microsoft Exchange")
      && !g_str_has_prefix (view->subject, "Undeliverable")
      && !legacy_is_daemon_notice (view))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (exchange2003_markers) && marker == NULL; i++)
    marker = head_find (view, exchange2003_markers[i]);
  if (marker == NULL)
    return FALSE;

  /* addr on DATE
   *     The recipient name is not recognized
   *     MSEXCH:IMS:ORG:SITE:SERVER 0 (000C05A6) Unknown Recipient  */
  pos = after_line (view, marker);
  while (bounce_text_next_line (view->body, view->body_len, &pos, &line, &line_len))
    {
      gsize ind = line_indent (line, line_len);
      const char *on = bounce_text_find (line + ind, (gssize) (line_len - ind), " on ");
      g_autofree char *addr = NULL;

      if (line_blank (line, line_len))
        {
          if (current != NULL)
            break;
          continue;
        }
      if (on != NULL)
        addr = line_address (line + ind, (gsize) (on - line - ind));
      else
        addr = line_address (line, line_len);
      if (addr != NULL)
        {
          if (current != NULL)
            set_diagnostic (report, current, diag->str, -1);
          g_string_truncate (diag, 0);
          current = legacy_add (report, view, addr, -1, NULL, 0);
          continue;
        }
      /* "The MTS-ID of the original message is: ..." (an X.400 id, folded
       * over two lines) says nothing about the failure. */
      if (bounce_text_find (line, (gssize) line_len, "MTS-ID") != NULL)
        {
          skip_next = TRUE;
          continue;
        }
      if (skip_next && line_indent (line, line_len) == 0 && memchr (line, '=', line_len) != NULL)
        {
          skip_next = FALSE;
          continue;
        }
      skip_next = FALSE;
      if (current != NULL)
        legacy_text_append (diag, line, line_len);
    }
  if (current != NULL)
    set_diagnostic (report, current, diag->str, -1);
  /* "<mx.example.org #5.1.1>": the server that gave the answer. */
  for (guint i = 0; i < report->recipients->len; i++)
    {
      BounceRecipient *r = g_ptr_array_index (report->recipients, i);
      const char *lt = r->diagnostic ? strchr (r->diagnostic, '<') : NULL;
      const char *sp = lt ? strstr (lt, " #") : NULL;

      if (sp != NULL && g_ascii_isdigit (sp[2]) && memchr (lt, '@', (gsize) (sp - lt)) == NULL)
        {
          g_autofree char *host = g_strndup (lt + 1, (gsize) (sp - lt - 1));
          if (strchr (host, '.') != NULL && strchr (host, ' ') == NULL)
            r->remote_mta = bounce_report_str (report, host);
        }
    }
  return report->recipients->len > 0;
}

/* ---- Outlook.com / Hotmail (Microsoft's SMTP service) --------------------- */

static const char *const outlook_failed_intros[] = {
  "Delivery to the following recipients failed",
  "Unable to deliver message to the following recipients",
};

static const char *const outlook_delayed_intros[] = {
  "Delivery to the following recipients has been delayed",
};

/* This is an automatically generated Delivery Status Notification.
 *
 * Delivery to the following recipients failed.
 *
 *        addr@example.org
 * Their DSN part carries the codes; this reads the text when it is empty. */
gboolean
legacy_outlook_recognise (BounceReport *report, const BounceView *view)
{
  const char *intro = NULL;
  const char *line;
  gsize line_len, pos, limit;
  gboolean delayed = FALSE;

  if (!from_has (view, "hotmail") && !from_has (view, "outlook.")
      && !from_has (view, "live.com") && !from_has (view, "msn.com"))
    return FALSE;
  if (!legacy_is_daemon_notice (view))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (outlook_delayed_intros) && intro == NULL; i++)
    if ((intro = body_find (view, outlook_delayed_intros[i])) != NULL)
      delayed = TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS (outlook_failed_intros) && intro == NULL; i++)
    intro = body_find (view, outlook_failed_intros[i]);
  if (intro == NULL)
    return FALSE;
  if (head_find (view, "THIS IS A WARNING MESSAGE ONLY") != NULL)
    delayed = TRUE;
  {
    const char *end = legacy_returned_start (view);
    limit = end && end > intro ? body_offset (view, end) : view->body_len;
  }
  pos = after_line (view, intro);
  while (bounce_text_next_line (view->body, limit, &pos, &line, &line_len))
    {
      g_autofree char *addr = line_address (line, line_len);

      if (addr != NULL)
        legacy_add (report, view, addr, -1, NULL, 0);
      else if (!line_blank (line, line_len) && report->recipients->len > 0)
        break;
    }
  if (report->recipients->len == 0)
    return FALSE;
  if (delayed)
    all_delayed (report);
  return TRUE;
}
