/* legacy-provider.c - plain-text notices of mailbox providers and sending
 * services (Microsoft, Google, Yahoo, Amazon SES, mail.ru, GMX, Zoho, ...)
 *
 * Large providers answer in RFC 3464 DSNs most of the time; these
 * recognisers read the notices they send when they do not (or when the
 * status part of their DSN is empty), by the layout each of them uses:
 *
 *   exchange2007/office365  "Diagnostic information for administrators:",
 *                           one block per recipient: the address, then
 *                           "Remote Server returned '550 5.1.1 ...'" or
 *                           "#550 5.1.1 RESOLVER...##".
 *   exchange2003            "did not reach the following recipient(s):",
 *                           "addr on DATE" then indented MSEXCH lines.
 *   outlook                 Outlook.com/Hotmail: "Delivery to the following
 *                           recipients failed." and indented addresses.
 *   gmail                   "Delivery to the following recipient(s) failed
 *                           permanently:" / "has been delayed:", indented
 *                           addresses, then "Technical details of ...".
 *   googleworkspace         "** Address not found **"-like title, "Your
 *                           message wasn't delivered to ADDR", "The
 *                           response was:".
 *   yahoo                   "Sorry, we were unable to deliver your message
 *                           to the following address.", "<addr>:" blocks.
 *   amazonses (JSON)        SNS/SES notifications with notificationType
 *                           "Bounce" and bouncedRecipients.
 *   amazonses/amazonworkmail "An error occurred while trying to deliver the
 *                           mail to the following recipients:", followed by
 *                           a "Technical report:" of DSN fields.
 *   receivingses            SES receiving for a domain: "This message could
 *                           not be delivered." and the returned headers.
 *   mailru                  Exim's layout, with a Russian preamble.
 *   gmx/einsundeins         "addr:" or "\"addr\":" then "SMTP error from
 *                           remote server ...", "host: ...".
 *   zoho                    "addr Invalid Address, ERROR_CODE :550, ..."
 *                           and the delay form "[Status: ..., Address:
 *                           <addr>, ResponseCode 421, ...]".
 *
 * Yandex, Apple, AOL and other providers that run Postfix, Sendmail or Exim
 * send those MTAs' texts, which legacy-mta.c reads.
 *
 * Every recogniser checks a cheap gate first (sender, a header, one marker
 * phrase), because all of them run, in order, on every message that is
 * neither a DSN nor a feedback report; the text layouts are only read in
 * mailer-daemon notices (legacy_is_daemon_notice()), so that ordinary mail
 * quoting a provider's phrase is never taken for a bounce.
 * Invariants: recipients come only from the part of the notice that lists
 * failures, never from the quoted returned message; the sender and
 * postmaster are refused by legacy_add().
 */
#include "legacy-private.h"

#include <json-glib/json-glib.h>
#include <string.h>

/* The largest JSON notification we read (SES puts the returned message's
 * headers in it, not its body). */
#define PROVIDER_MAX_JSON (1024u * 1024u)

/* How far into the notice the phrases that identify a layout are looked
 * for: they open the notice, and the text after them may be a long copy of
 * the returned message that is not worth scanning for every layout. */
#define PROVIDER_MARKER_SPAN (32u * 1024u)

/* ---- small helpers ------------------------------------------------------ */

static const char *
body_find (const BounceView *view, const char *needle)
{
  return bounce_text_find (view->body, (gssize) view->body_len, needle);
}

/* body_find() over the first PROVIDER_MARKER_SPAN bytes only. */
static const char *
head_find (const BounceView *view, const char *needle)
{
  return bounce_text_find (view->body, (gssize) MIN (view->body_len, PROVIDER_MARKER_SPAN),
                           needle);
}

static gsize
body_offset (const BounceView *view, const char *p)
{
  return (gsize) (p - view->body);
}

/* Offset of the line after the one holding @p. */
static gsize
after_line (const BounceView *view, const char *p)
{
  const char *nl = memchr (p, '\n', view->body_len - body_offset (view, p));

  return nl ? body_offset (view, nl) + 1 : view->body_len;
}

static gboolean
line_blank (const char *line, gsize len)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isspace (line[i]))
      return FALSE;
  return TRUE;
}

static gsize
line_indent (const char *line, gsize len)
{
  gsize i = 0;

  while (i < len && (line[i] == ' ' || line[i] == '\t'))
    i++;
  return i;
}

static gboolean
starts_with (const char *line, gsize len, const char *prefix)
{
  gsize n = strlen (prefix);

  return len >= n && g_ascii_strncasecmp (line, prefix, n) == 0;
}

/* Whether the line (trimmed) is nothing but one address, in one of the
 * forms notices use: addr, <addr>, "addr", addr:, <addr>:, "addr":,
 * addr<mailto:addr>.  Returns the bare address, newly allocated, or NULL. */
static char *
line_address (const char *line, gsize len)
{
  const char *s = line, *e = line + len;
  const char *mailto;
  g_autofree char *token = NULL;

  while (s < e && g_ascii_isspace (*s))
    s++;
  while (e > s && g_ascii_isspace (e[-1]))
    e--;
  if (e > s && e[-1] == ':')
    e--;
  mailto = bounce_text_find (s, e - s, "<mailto:");
  if (mailto != NULL)
    e = mailto;
  if (e - s >= 2 && ((*s == '<' && e[-1] == '>') || (*s == '"' && e[-1] == '"')))
    {
      s++;
      e--;
    }
  if (s >= e || memchr (s, ' ', (gsize) (e - s)) != NULL
      || memchr (s, '\t', (gsize) (e - s)) != NULL)
    return NULL;
  token = g_strndup (s, (gsize) (e - s));
  if (!bounce_text_is_address (token))
    return NULL;
  return g_steal_pointer (&token);
}

/* An SMTP reply code at the start of @text ("550 ...", "550-...", "550:"),
 * after optional blanks; copied to @code_out (4 bytes). */
static gboolean
leading_reply_code (const char *text, gsize len, char *code_out)
{
  gsize i = 0;

  while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '#'))
    i++;
  if (len - i < 3 || text[i] < '2' || text[i] > '5' || !g_ascii_isdigit (text[i + 1])
      || !g_ascii_isdigit (text[i + 2]))
    return FALSE;
  if (len - i > 3 && !(text[i + 3] == ' ' || text[i + 3] == '-' || text[i + 3] == ':'
                       || text[i + 3] == ',' || text[i + 3] == '\t' || text[i + 3] == '\n'))
    return FALSE;
  memcpy (code_out, text + i, 3);
  code_out[3] = '\0';
  return TRUE;
}

/* Sets the reply code from the text right after @cue in @text. */
static void
reply_code_after (BounceReport *report, BounceRecipient *rcpt,
                  const char *text, const char *cue)
{
  const char *p;
  char code[4];

  if (rcpt == NULL || rcpt->reply_code != NULL || text == NULL)
    return;
  p = bounce_text_find (text, -1, cue);
  if (p == NULL)
    return;
  p += strlen (cue);
  if (leading_reply_code (p, strlen (p), code))
    rcpt->reply_code = bounce_report_str (report, code);
}

/* Replaces the diagnostic of @rcpt with @text, collapsed to one line. */
static void
set_diagnostic (BounceReport *report, BounceRecipient *rcpt,
                const char *text, gssize len)
{
  g_autofree char *collapsed = NULL;

  if (rcpt == NULL || text == NULL)
    return;
  collapsed = bounce_text_collapse (text, len);
  if (collapsed != NULL)
    rcpt->diagnostic = bounce_report_str (report, collapsed);
}

/* The host name following @cue in @text ("host mx.example.org [192.0.2.1]"),
 * without brackets or a trailing dot. */
static void
remote_after (BounceReport *report, BounceRecipient *rcpt,
              const char *text, const char *cue)
{
  const char *p, *e;
  g_autofree char *host = NULL;

  if (rcpt == NULL || rcpt->remote_mta != NULL || text == NULL)
    return;
  p = bounce_text_find (text, -1, cue);
  if (p == NULL)
    return;
  p += strlen (cue);
  while (*p == ' ' || *p == '[' || *p == '(')
    p++;
  e = p;
  while (*e && (g_ascii_isalnum (*e) || *e == '.' || *e == '-' || *e == ':' || *e == '_'))
    e++;
  while (e > p && (e[-1] == '.' || e[-1] == ':'))
    e--;
  if (e - p < 3 || memchr (p, '.', (gsize) (e - p)) == NULL)
    return;
  host = g_strndup (p, (gsize) (e - p));
  rcpt->remote_mta = bounce_report_str (report, host);
}

static gboolean
from_has (const BounceView *view, const char *needle)
{
  return bounce_text_find (view->from, -1, needle) != NULL;
}

static gboolean
header_has (const BounceView *view, const char *name, const char *needle)
{
  const char *v = bounce_view_header (view, name);

  return v != NULL && (needle == NULL || bounce_text_find (v, -1, needle) != NULL);
}

/* Marks every recipient of the report delayed. */
static void
all_delayed (BounceReport *report)
{
  for (guint i = 0; i < report->recipients->len; i++)
    ((BounceRecipient *) g_ptr_array_index (report->recipients, i))->action = "delayed";
}

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
        if (end == NULL)
          end = strrchr (q, '\'');
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
  gsize limit;
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

          if (starts_with (line + ind, line_len - ind, "Original message headers:"))
            break;
          /* The next section's title ("Original message headers:" in
           * whatever language): a line ending in a colon after the
           * recipients' blocks. */
          if (current == NULL && report->recipients->len > 0 && line_len > 1
              && line[line_len - 1] == ':' && memchr (line, '@', line_len) == NULL)
            break;
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
          g_string_append_len (diag, line, (gssize) line_len);
          g_string_append_c (diag, ' ');
        }
    }
  if (report->recipients->len == 0)
    return FALSE;
  if (delayed)
    all_delayed (report);
  if (report->reporting_mta == NULL)
    report->reporting_mta = bounce_report_str (report, generating);
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

static gboolean
legacy_office365_recognise (BounceReport *report, const BounceView *view)
{
  if (!exchange_is_ndr (view) || !is_exchange_online (view))
    return FALSE;
  return exchange_parse (report, view);
}

static gboolean
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

static gboolean
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
        {
          g_string_append_len (diag, line, (gssize) line_len);
          g_string_append_c (diag, ' ');
        }
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
static gboolean
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
  if (body_find (view, "THIS IS A WARNING MESSAGE ONLY") != NULL)
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

/* ---- Gmail (the plain-text notices of Google's MTA) --------------------- */

static const char *const gmail_end_markers[] = {
  "----- Original message -----",
  "----- Message header follows -----",
  "----- Original message follows -----",
};

static gboolean
legacy_gmail_recognise (BounceReport *report, const BounceView *view)
{
  const char *intro;
  const char *details, *end = view->body + view->body_len;
  const char *line;
  gsize line_len, pos, limit;
  gboolean delayed;
  g_autofree char *text = NULL;

  if (!legacy_is_daemon_notice (view))
    return FALSE;
  intro = head_find (view, "Delivery to the following recipient");
  if (intro == NULL)
    return FALSE;
  {
    const char *nl = strchr (intro, '\n');
    delayed = bounce_text_find (intro, nl ? nl - intro : -1, "delayed") != NULL;
  }
  details = body_find (view, "Technical details of ");
  for (gsize i = 0; i < G_N_ELEMENTS (gmail_end_markers); i++)
    {
      const char *m = body_find (view, gmail_end_markers[i]);
      if (m != NULL && m < end)
        end = m;
    }
  if (details != NULL && details > end)
    details = NULL;

  /* The failed addresses: indented lines between the introduction and the
   * technical details. */
  limit = body_offset (view, details ? details : end);
  pos = after_line (view, intro);
  while (bounce_text_next_line (view->body, limit, &pos, &line, &line_len))
    {
      g_autofree char *addr = line_address (line, line_len);
      if (addr != NULL)
        legacy_add (report, view, addr, -1, NULL, 0);
    }
  if (report->recipients->len == 0)
    return FALSE;

  if (details != NULL)
    {
      gsize start = after_line (view, details);
      const char *said;

      text = g_strndup (view->body + start, (gsize) (end - view->body) - MIN (start, (gsize) (end - view->body)));
      /* "The error that the other server returned was: 550 5.1.1 ..." is
       * the remote server's answer, the rest Google's explanation. */
      said = bounce_text_find (text, -1, "server returned was:");
      for (guint i = 0; i < report->recipients->len; i++)
        {
          BounceRecipient *r = g_ptr_array_index (report->recipients, i);

          set_diagnostic (report, r, said ? said + strlen ("server returned was:") : text, -1);
          /* "... for the recipient domain example.org by mx.example.org.
           * [192.0.2.1]", or "[(0) mx.example.org. [192.0.2.1]:25: ...]" */
          {
            const char *dom = bounce_text_find (text, -1, "for the recipient domain ");
            const char *by = dom ? bounce_text_find (dom, -1, " by ") : NULL;
            if (by != NULL)
              remote_after (report, r, by, " by ");
          }
          if (r->remote_mta == NULL)
            remote_after (report, r, text, "[(0) ");
          if (delayed)
            r->action = "delayed";
        }
    }
  else if (delayed)
    all_delayed (report);
  return TRUE;
}

/* ---- Google Workspace / Gmail, the newer HTML-first notices -------------- */

/* How many lines into the notice Google's "** Title **" line may come. */
#define GOOGLE_TITLE_MAX_LINE 5

/* Google's notices open with a title between asterisks: "** Address not
 * found **", "** Message not delivered **", "** Delivery incomplete **",
 * "** Message blocked **"...  Returns the title line or NULL. */
static const char *
google_title (const BounceView *view)
{
  const char *line;
  gsize line_len, pos = 0;
  guint seen = 0;

  while (seen < GOOGLE_TITLE_MAX_LINE
         && bounce_text_next_line (view->body, view->body_len, &pos, &line, &line_len))
    {
      gsize ind = line_indent (line, line_len);
      gsize end = line_len;

      if (line_blank (line, line_len))
        continue;
      seen++;
      while (end > ind && g_ascii_isspace (line[end - 1]))
        end--;
      if (end - ind > 6 && strncmp (line + ind, "** ", 3) == 0
          && strncmp (line + end - 3, " **", 3) == 0)
        return line + ind;
    }
  return NULL;
}

static const char *const google_delivered_to[] = {
  "wasn't delivered to ", "delivering your message to ",
  "couldn't be delivered to ", "was not delivered to ",
};

static gboolean
legacy_googleworkspace_recognise (BounceReport *report, const BounceView *view)
{
  const char *title = NULL;
  const char *resp;
  g_autofree char *response = NULL;
  gboolean delayed;

  if (!from_has (view, "google") || !legacy_is_daemon_notice (view))
    return FALSE;
  title = google_title (view);
  if (title == NULL)
    return FALSE;
  {
    const char *nl = strchr (title, '\n');
    delayed = bounce_text_find (title, nl ? nl - title : -1, "incomplete") != NULL
              || body_find (view, "temporary problem") != NULL;
  }

  /* "The response was:" / "The response from the remote server was:" is
   * followed by the server's answer, up to a blank line. */
  resp = body_find (view, "The response from the remote server was:");
  if (resp == NULL)
    resp = body_find (view, "The response was:");
  if (resp != NULL)
    {
      gsize pos = after_line (view, resp);
      const char *line;
      gsize line_len;
      GString *s = g_string_new (NULL);

      while (bounce_text_next_line (view->body, view->body_len, &pos, &line, &line_len))
        {
          if (line_blank (line, line_len))
            {
              if (s->len > 0)
                break;
              continue;
            }
          g_string_append_len (s, line, (gssize) line_len);
          g_string_append_c (s, ' ');
        }
      response = g_string_free (s, FALSE);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (google_delivered_to); i++)
    {
      const char *p = body_find (view, google_delivered_to[i]);
      if (p != NULL)
        {
          const char *nl = strchr (p, '\n');
          legacy_add (report, view, p + strlen (google_delivered_to[i]),
                      nl ? nl - p - (gssize) strlen (google_delivered_to[i]) : -1,
                      NULL, 0);
          break;
        }
    }
  /* The notice does not name the recipient (a "Send mail as" failure: the
   * message left for nobody): every addressee of the returned message. */
  if (report->recipients->len == 0 && report->original.to != NULL)
    {
      g_auto(GStrv) list = g_strsplit (report->original.to, ",", -1);
      for (char **a = list; *a; a++)
        legacy_add (report, view, *a, -1, NULL, 0);
    }
  for (guint i = 0; i < report->recipients->len; i++)
    {
      BounceRecipient *r = g_ptr_array_index (report->recipients, i);
      if (response != NULL)
        set_diagnostic (report, r, response, -1);
      if (delayed)
        r->action = "delayed";
    }
  return report->recipients->len > 0;
}

/* ---- Yahoo (and its qmail-derived MTA) ---------------------------------- */

static gboolean
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
                current->reply_code = bounce_report_str (report, code);
            }
          g_string_truncate (diag, 0);
          if (!more)
            break;
          current = legacy_add (report, view, addr, -1, NULL, 0);
          continue;
        }
      if (current != NULL && !line_blank (line, line_len))
        {
          g_string_append_len (diag, line, (gssize) line_len);
          g_string_append_c (diag, ' ');
        }
    }
  return report->recipients->len > 0;
}

/* ---- Amazon SES notifications in JSON (SNS or e-mail feedback) ---------- */

/* Sendmail folds lines longer than 990 octets with "!\n "; shorter lines
 * ending in "!" are not folds. */
#define JSON_FOLD_MIN_LINE 900

/* Copies the JSON object that starts at @start, undoing the line folding a
 * relay may have applied to the long line (Sendmail breaks lines past 990
 * octets with "!\n "; others with "\n "). */
static char *
json_extract (const char *start, gsize len)
{
  GString *out = g_string_sized_new (len);
  int depth = 0;
  gsize line_len = 0;
  gboolean in_string = FALSE, escaped = FALSE;

  for (gsize i = 0; i < len; i++)
    {
      char c = start[i];

      if (c == '\n')
        {
          /* A line end inside a string cannot be JSON's: it is a fold. */
          gboolean folded = out->len > 0 && out->str[out->len - 1] == '!'
                            && line_len >= JSON_FOLD_MIN_LINE;

          if (folded)
            g_string_truncate (out, out->len - 1);
          if ((folded || in_string) && i + 1 < len && start[i + 1] == ' ')
            i++;
          if (!folded && !in_string)
            g_string_append_c (out, c);
          line_len = 0;
          continue;
        }
      line_len++;
      g_string_append_c (out, c);
      if (escaped)
        {
          escaped = FALSE;
          continue;
        }
      if (in_string)
        {
          if (c == '\\')
            escaped = TRUE;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      if (c == '"')
        in_string = TRUE;
      else if (c == '{')
        depth++;
      else if (c == '}' && --depth == 0)
        return g_string_free (out, FALSE);
    }
  g_string_free (out, TRUE);
  return NULL;
}

static const char *
json_str (JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  if (n == NULL || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static JsonObject *
json_obj (JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

/* The first string of an array member ("to": ["a@b"]), or the string. */
static const char *
json_first (JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  if (n != NULL && JSON_NODE_HOLDS_ARRAY (n))
    {
      JsonArray *a = json_node_get_array (n);
      if (json_array_get_length (a) > 0)
        {
          JsonNode *e = json_array_get_element (a, 0);
          if (json_node_get_value_type (e) == G_TYPE_STRING)
            return json_node_get_string (e);
        }
      return NULL;
    }
  return json_str (o, name);
}

static void
ses_original (BounceReport *report, JsonObject *mail)
{
  JsonObject *common = json_obj (mail, "commonHeaders");

  if (report->original.message_id == NULL)
    report->original.message_id = bounce_report_str (report, json_str (common, "messageId"));
  if (report->original.from == NULL)
    report->original.from = bounce_report_str (report, json_first (common, "from"));
  if (report->original.to == NULL)
    report->original.to = bounce_report_str (report, json_first (common, "to"));
  if (report->original.subject == NULL)
    report->original.subject = bounce_report_str (report, json_str (common, "subject"));
  if (report->original.date == NULL)
    report->original.date = bounce_report_str (report, json_str (common, "date"));
}

static gboolean
ses_bounce (BounceReport *report, const BounceView *view, JsonObject *root)
{
  const char *type = json_str (root, "notificationType");
  JsonObject *bounce = json_obj (root, "bounce");
  JsonNode *list;
  JsonArray *array;
  const char *mta;

  if (type == NULL)
    type = json_str (root, "eventType");
  if (type == NULL || g_ascii_strcasecmp (type, "Bounce") != 0 || bounce == NULL)
    return FALSE;
  list = json_object_get_member (bounce, "bouncedRecipients");
  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    return FALSE;
  array = json_node_get_array (list);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *e = json_array_get_element (array, i);
      JsonObject *r = JSON_NODE_HOLDS_OBJECT (e) ? json_node_get_object (e) : NULL;
      const char *addr = json_str (r, "emailAddress");
      const char *diag = json_str (r, "diagnosticCode");
      const char *status = json_str (r, "status");
      const char *action = json_str (r, "action");
      BounceRecipient *rcpt;

      if (addr == NULL)
        continue;
      rcpt = legacy_add (report, view, addr, -1, NULL, 0);
      if (rcpt == NULL)
        continue;
      if (diag != NULL)
        {
          /* "smtp; 550 5.1.1 user unknown": RFC 3464 diagnostic-type first. */
          const char *semi = strchr (diag, ';');
          if (semi != NULL && semi - diag < 16 && memchr (diag, ' ', (gsize) (semi - diag)) == NULL)
            {
              g_autofree char *t = g_ascii_strdown (diag, semi - diag);
              rcpt->diagnostic_type = bounce_report_str (report, t);
              diag = semi + 1;
            }
          set_diagnostic (report, rcpt, diag, -1);
        }
      if (status != NULL && dsn_status_is_valid (status, -1))
        rcpt->status = bounce_report_str (report, status);
      if (action != NULL && (g_ascii_strcasecmp (action, "delayed") == 0))
        rcpt->action = "delayed";
      else if (g_strcmp0 (json_str (bounce, "bounceType"), "Transient") == 0
               && status != NULL && status[0] == '4')
        rcpt->action = "delayed";
      rcpt->remote_mta = bounce_report_str (report, json_str (r, "remoteMtaIp"));
    }
  if (report->recipients->len == 0)
    return FALSE;
  mta = json_str (bounce, "reportingMTA");
  if (mta != NULL && report->reporting_mta == NULL)
    {
      const char *semi = strchr (mta, ';');
      report->reporting_mta = bounce_report_str (report, semi ? semi + 1 : mta);
    }
  ses_original (report, json_obj (root, "mail"));
  return TRUE;
}

static gboolean
legacy_amazonses_json_recognise (BounceReport *report, const BounceView *view)
{
  const char *brace;
  g_autofree char *json = NULL;
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *root;
  const char *inner;

  if (!header_has (view, "x-amz-sns-message-id", NULL) && !from_has (view, "amazonaws.com")
      && !from_has (view, "amazonses.com"))
    return FALSE;
  if (body_find (view, "notificationType") == NULL && body_find (view, "eventType") == NULL)
    return FALSE;
  brace = memchr (view->body, '{', view->body_len);
  if (brace == NULL)
    return FALSE;
  json = json_extract (brace, MIN (view->body_len - body_offset (view, brace), PROVIDER_MAX_JSON));
  if (json == NULL)
    return FALSE;
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, json, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return FALSE;
  root = json_node_get_object (json_parser_get_root (parser));

  /* An SNS envelope carries the SES notification as a string in Message. */
  inner = json_str (root, "Message");
  if (inner != NULL && json_str (root, "Type") != NULL)
    {
      g_autoptr(JsonParser) p2 = json_parser_new ();
      if (!json_parser_load_from_data (p2, inner, -1, NULL)
          || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p2)))
        return FALSE;
      return ses_bounce (report, view, json_node_get_object (json_parser_get_root (p2)));
    }
  return ses_bounce (report, view, root);
}

/* ---- Amazon SES and WorkMail text notices -------------------------------- */

/* "An error occurred while trying to deliver the mail to the following
 * recipients:", the addresses, then "Technical report:" holding the fields
 * of a delivery-status body (RFC 3464 2.1) as plain text. */
/* SES gives up on a message with "554 4.4.7 Message expired: unable to
 * deliver in 840 minutes.<421 4.4.2 Connection timed out>": the part in
 * angle brackets is the last answer of the remote server.  Its reply code is
 * the remote server's; the 554 is SES's own and contradicts the 4.4.7 the
 * Status keeps. */
static void
amazon_expired_cause (BounceReport *report, BounceRecipient *rcpt)
{
  const char *lt, *text = rcpt->diagnostic;
  char reply[4];

  if (text == NULL || bounce_text_find (text, -1, "Message expired") == NULL)
    return;
  lt = strstr (text, ".<");
  if (lt == NULL || !leading_reply_code (lt + 2, strlen (lt + 2), reply))
    return;
  if (rcpt->status == NULL || rcpt->status[0] == reply[0])
    rcpt->reply_code = bounce_report_str (report, reply);
}

static gboolean
amazon_text_parse (BounceReport *report, const BounceView *view)
{
  const char *intro = body_find (view, "An error occurred while trying to deliver the mail to the following recipient");
  const char *tech;
  const char *line;
  gsize line_len, pos, limit;

  if (intro == NULL)
    return FALSE;
  tech = body_find (view, "Technical report:");
  if (tech != NULL)
    {
      gsize start = after_line (view, tech);
      if (dsn_fields_parse (report, view->body + start, view->body_len - start,
                            view->settings, NULL) > 0)
        {
          for (guint i = 0; i < report->recipients->len; i++)
            amazon_expired_cause (report, g_ptr_array_index (report->recipients, i));
          return TRUE;
        }
    }
  limit = tech ? body_offset (view, tech) : view->body_len;
  pos = after_line (view, intro);
  while (bounce_text_next_line (view->body, limit, &pos, &line, &line_len))
    {
      g_autofree char *addr = line_address (line, line_len);
      if (addr != NULL)
        legacy_add (report, view, addr, -1, NULL, 0);
      else if (report->recipients->len > 0 && !line_blank (line, line_len))
        {
          BounceRecipient *r = g_ptr_array_index (report->recipients, report->recipients->len - 1);
          if (r->diagnostic == NULL)
            set_diagnostic (report, r, line, (gssize) line_len);
        }
    }
  return report->recipients->len > 0;
}

static gboolean
legacy_amazonworkmail_recognise (BounceReport *report, const BounceView *view)
{
  if (!header_has (view, "X-Mailer", "Amazon WorkMail")
      && !header_has (view, "X-Original-Mailer", "Amazon WorkMail"))
    return FALSE;
  return amazon_text_parse (report, view);
}

/* SES's first layout (2011-2015):
 *   The following message to <addr> was undeliverable.
 *   The reason for the problem:
 *   5.1.0 - Unknown address error 550-'5.1.1 <addr>... User unknown'  */
static gboolean
amazon_old_text_parse (BounceReport *report, const BounceView *view)
{
  const char *intro = head_find (view, "The following message to <");
  const char *reason, *nl;
  BounceRecipient *rcpt;

  if (intro == NULL)
    return FALSE;
  nl = strchr (intro, '\n');
  if (bounce_text_find (intro, nl ? nl - intro : -1, "was undeliverable") == NULL)
    return FALSE;
  rcpt = legacy_add (report, view, intro + 24, nl ? nl - intro - 24 : -1, NULL, 0);
  if (rcpt == NULL)
    return FALSE;
  reason = body_find (view, "The reason for the problem:");
  if (reason != NULL)
    {
      gsize pos = after_line (view, reason);
      const char *line;
      gsize line_len;
      g_autoptr(GString) diag = g_string_new (NULL);

      while (bounce_text_next_line (view->body, view->body_len, &pos, &line, &line_len)
             && !line_blank (line, line_len))
        {
          g_string_append_len (diag, line, (gssize) line_len);
          g_string_append_c (diag, ' ');
        }
      set_diagnostic (report, rcpt, diag->str, -1);
      /* SES's own code comes first ("5.1.0 - Unknown address error"), the
       * remote server's answer after it in quotes: "550-'5.1.1 ...'".  The
       * server's code is the more precise one. */
      if (rcpt->diagnostic != NULL)
        {
          const char *q = strstr (rcpt->diagnostic, "-'");
          char code[16];

          if (q != NULL && q - rcpt->diagnostic >= 3)
            {
              char reply[4];
              if (leading_reply_code (q - 3, 4, reply))
                rcpt->reply_code = bounce_report_str (report, reply);
              if (dsn_status_find (q + 2, code) && strncmp (q + 2, code, strlen (code)) == 0)
                rcpt->status = bounce_report_str (report, code);
            }
        }
    }
  return TRUE;
}

static gboolean
legacy_amazonses_recognise (BounceReport *report, const BounceView *view)
{
  if (!from_has (view, "amazonses.com") && !header_has (view, "X-SES-Outgoing", NULL))
    return FALSE;
  if (!legacy_is_daemon_notice (view))
    return FALSE;
  return amazon_text_parse (report, view) || amazon_old_text_parse (report, view);
}

/* ---- Amazon SES receiving mail for a domain ----------------------------- */

/* SES refusing mail for a domain it receives for writes from
 * postmaster@<that domain> a report whose text says only "This message
 * could not be delivered.": the failed addresses are those of the returned
 * message's To in the postmaster's domain (or its only address). */
static gboolean
legacy_receivingses_recognise (BounceReport *report, const BounceView *view)
{
  g_autofree char *sender = NULL;
  const char *domain;
  g_auto(GStrv) list = NULL;
  guint addresses = 0;

  if (!header_has (view, "X-SES-Outgoing", NULL) || !legacy_is_daemon_notice (view)
      || head_find (view, "This message could not be delivered") == NULL
      || report->original.to == NULL)
    return FALSE;
  sender = bounce_text_address (view->from, -1);
  domain = sender ? strchr (sender, '@') : NULL;
  list = g_strsplit (report->original.to, ",", -1);
  for (char **a = list; *a; a++)
    {
      g_autofree char *addr = bounce_text_address (*a, -1);
      const char *at = addr ? strchr (addr, '@') : NULL;

      if (addr == NULL)
        continue;
      addresses++;
      if (domain != NULL && at != NULL && g_ascii_strcasecmp (at, domain) == 0)
        legacy_add (report, view, addr, -1, NULL, 0);
    }
  if (report->recipients->len == 0 && addresses == 1)
    for (char **a = list; *a; a++)
      legacy_add (report, view, *a, -1, NULL, 0);
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
      g_string_append_len (diag, line, (gssize) line_len);
      g_string_append_c (diag, ' ');
    }
}

static const char *const mailru_markers[] = {
  "The following address(es) failed:",
  "одному или нескольким получателям:",
};

static gboolean
legacy_mailru_recognise (BounceReport *report, const BounceView *view)
{
  const char *marker = NULL;
  const char *end;

  if (!legacy_is_daemon_notice (view)
      || (!from_has (view, "mail.ru") && body_find (view, "Mail.Ru") == NULL))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (mailru_markers); i++)
    {
      const char *m = body_find (view, mailru_markers[i]);
      if (m != NULL && (marker == NULL || m < marker))
        marker = m;
    }
  if (marker == NULL)
    return FALSE;
  end = legacy_returned_start (view);
  exim_block (report, view, after_line (view, marker),
              end && end > marker ? body_offset (view, end) : view->body_len);
  if (body_find (view, "This is a temporary error") != NULL
      || body_find (view, "has not yet been delivered") != NULL)
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
      g_string_append_len (diag, line, (gssize) line_len);
      g_string_append_c (diag, ' ');
    }
  return report->recipients->len > 0;
}

static gboolean
legacy_gmx_recognise (BounceReport *report, const BounceView *view)
{
  if (!from_has (view, "gmx.") || !legacy_is_daemon_notice (view))
    return FALSE;
  return einsundeins_parse (report, view);
}

static gboolean
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

static gboolean
legacy_zoho_recognise (BounceReport *report, const BounceView *view)
{
  const char *line;
  gsize line_len, pos = 0, limit = view->body_len;
  const char *quoted;
  gboolean warning;

  if (!from_has (view, "zoho") || !legacy_is_daemon_notice (view))
    return FALSE;
  warning = body_find (view, "THIS IS A WARNING MESSAGE ONLY") != NULL;
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

/* Most specific first: markers that only one provider writes, then the
 * ones gated by the sender's domain. */
const LegacyEntry legacy_provider_table[] = {
  { "amazonses", legacy_amazonses_json_recognise },
  { "amazonworkmail", legacy_amazonworkmail_recognise },
  { "amazonses", legacy_amazonses_recognise },
  { "receivingses", legacy_receivingses_recognise },
  { "office365", legacy_office365_recognise },
  { "exchange2007", legacy_exchange2007_recognise },
  { "exchange2003", legacy_exchange2003_recognise },
  { "outlook", legacy_outlook_recognise },
  { "gmail", legacy_gmail_recognise },
  { "googleworkspace", legacy_googleworkspace_recognise },
  { "yahoo", legacy_yahoo_recognise },
  { "mailru", legacy_mailru_recognise },
  { "gmx", legacy_gmx_recognise },
  { "einsundeins", legacy_einsundeins_recognise },
  { "zoho", legacy_zoho_recognise },
  { NULL, NULL },
};
