/* legacy-util.c - helpers of the legacy recognisers: adding recipients
 * safely, finding the quoted copy of the returned message, reading a
 * message quoted inside a notice
 *
 * A notice may carry another one: a DSN or a relay's bounce forwarded in
 * its text, or returned as its returned message.  That message is read
 * from a view of its own (bounce-view.c) by the readers the top-level
 * parse uses (notice.c, legacy_read()), never by bounce_report_parse():
 * the pipeline runs one way (tests/check-layering.py).
 */
#include "legacy-private.h"

#include <string.h>

/* Lines that open the header block of a returned copy that no marker
 * introduces (a gateway attaching the headers as a second text part). */
static const char *const returned_block_starts[] = {
  "Received: from ", "Received: by ", "Return-Path: <", "Return-path: <",
};

static gboolean
is_refused_address (const BounceView *view, const char *addr)
{
  g_autofree char *sender = bounce_text_address (view->from, -1);
  const char *at = strchr (addr, '@');
  gsize local = at ? (gsize) (at - addr) : strlen (addr);

  if (sender != NULL && bounce_text_address_equal (sender, addr))
    return TRUE;
  if ((local == 10 && g_ascii_strncasecmp (addr, "postmaster", 10) == 0)
      || (local == 13 && g_ascii_strncasecmp (addr, "mailer-daemon", 13) == 0)
      || (local == 12 && g_ascii_strncasecmp (addr, "mailerdaemon", 12) == 0))
    return TRUE;
  return FALSE;
}

BounceRecipient *
legacy_add (BounceReport *report, const BounceView *view,
            const char *address, gssize address_len,
            const char *text, gssize text_len)
{
  g_autofree char *addr = bounce_text_address (address, address_len);
  BounceRecipient *rcpt;

  if (addr == NULL || is_refused_address (view, addr))
    return NULL;
  rcpt = bounce_report_find_recipient (report, addr);
  if (rcpt == NULL)
    {
      /* NULL past the recipient limit: the parse fails there. */
      if ((rcpt = bounce_report_add_recipient (report)) == NULL)
        return NULL;
      rcpt->recipient = bounce_report_str (report, addr);
      rcpt->action = "failed";
    }
  if (rcpt->diagnostic == NULL && text != NULL)
    {
      g_autofree char *collapsed = bounce_text_collapse (text, text_len);
      rcpt->diagnostic = bounce_report_str (report, collapsed);
    }
  return rcpt;
}

/* The earliest returned-message marker at or after @from, or NULL. */
const char *
legacy_returned_start (const BounceView *view)
{
  return bounce_view_returned_copy (view);
}

void
legacy_original_from_body (BounceReport *report, const BounceView *view)
{
  const char *start = legacy_returned_start (view);

  /* A marker may also open a sentence ("The original message was received
   * at ..."): when no header follows one, the next marker may have them. */
  while (start != NULL)
    {
      const char *nl = strchr (start, '\n');

      if (nl == NULL)
        return;
      if (original_from_text (report, nl + 1, view->body_len - (gsize) (nl + 1 - view->body),
                              view->settings))
        return;
      start = bounce_view_returned_marker (view, nl + 1);
    }
  /* No marker: the first header block that a trace field opens. */
  for (gsize i = 0; i < G_N_ELEMENTS (returned_block_starts); i++)
    {
      const char *block = legacy_find_line (view->body, view->body_len, returned_block_starts[i]);

      /* At the start of its line: an indented one is quoted text. */
      if (block != NULL && (block == view->body || block[-1] == '\n')
          && original_from_text (report, block, view->body_len - (gsize) (block - view->body),
                                 view->settings))
        return;
    }
}

/* ---- helpers of the format recognisers ---------------------------------- */

/* Nesting of legacy_embedded_parse(): a notice forwarded inside a notice is
 * read, one forwarded inside that too, and no deeper. */
#define LEGACY_EMBED_MAX_DEPTH 2

static _Thread_local guint embed_depth;

BounceRecipient *
legacy_add_named (BounceReport *report, const BounceView *view,
                  const char *address, gssize address_len,
                  const char *text, gssize text_len)
{
  g_autofree char *addr = bounce_text_address (address, address_len);
  g_autofree char *sender = NULL;
  BounceRecipient *rcpt;

  if (addr == NULL)
    return NULL;
  sender = bounce_text_address (view->from, -1);
  if (sender != NULL && bounce_text_address_equal (sender, addr))
    return NULL;
  rcpt = bounce_report_find_recipient (report, addr);
  if (rcpt == NULL)
    {
      /* NULL past the recipient limit: the parse fails there. */
      if ((rcpt = bounce_report_add_recipient (report)) == NULL)
        return NULL;
      rcpt->recipient = bounce_report_str (report, addr);
      rcpt->action = "failed";
    }
  if (rcpt->diagnostic == NULL && text != NULL)
    {
      g_autofree char *collapsed = bounce_text_collapse (text, text_len);
      rcpt->diagnostic = bounce_report_str (report, collapsed);
    }
  return rcpt;
}

const char *
legacy_find_line (const char *text, gsize len, const char *marker)
{
  const char *p = text;
  const char *end = text + len;

  while ((p = bounce_text_find (p, end - p, marker)) != NULL)
    {
      const char *q = p;

      while (q > text && (q[-1] == ' ' || q[-1] == '\t'))
        q--;
      if (q == text || q[-1] == '\n')
        return p;
      p++;
    }
  return NULL;
}

const char *
legacy_line_after (const char *text, gsize len, const char *p)
{
  const char *nl;

  if (p == NULL)
    return NULL;
  nl = memchr (p, '\n', len - (gsize) (p - text));
  return nl ? nl + 1 : text + len;
}

gboolean
legacy_line_has (const char *line, gsize len, const char *needle)
{
  return bounce_text_find (line, (gssize) len, needle) != NULL;
}

gboolean
legacy_line_is_blank (const char *line, gsize len)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isspace (line[i]))
      return FALSE;
  return TRUE;
}

/* Length of an SMTP reply prefix "NNN-" / "NNN " (RFC 5321 4.2.1) at @s,
 * followed by an optional enhanced code and blanks; 0 if there is none. */
static gsize
reply_prefix (const char *s, gsize len, char code_out[4])
{
  gsize i;

  if (len < 4 || s[0] < '2' || s[0] > '5' || !g_ascii_isdigit (s[1])
      || !g_ascii_isdigit (s[2]) || (s[3] != '-' && s[3] != ' '))
    return 0;
  memcpy (code_out, s, 3);
  code_out[3] = '\0';
  i = 4;
  if (i < len && s[i] == s[0] && i + 1 < len && s[i + 1] == '.')
    {
      gsize j = i;
      while (j < len && (g_ascii_isdigit (s[j]) || s[j] == '.'))
        j++;
      if (j == len || s[j] == ' ')
        i = j;
    }
  while (i < len && s[i] == ' ')
    i++;
  return i;
}

void
legacy_text_append (GString *text, const char *line, gsize len)
{
  char code[4], first[4];

  /* A diagnostic is a few lines; a text past the limit takes no more (each
   * line appended is compared with the text so far, and a recogniser may
   * gather the same following lines for each of thousands of recipients). */
  if (text->len >= LEGACY_TEXT_MAX_BYTES)
    return;
  while (len > 0 && g_ascii_isspace (*line))
    line++, len--;
  while (len > 0 && g_ascii_isspace (line[len - 1]))
    len--;
  if (len == 0)
    return;
  /* RFC 5321 4.2.1: every line of a multi-line reply but the last reads
   * "NNN-"; the lines after the first repeat the code (and often an
   * enhanced code), which is noise in a one-line diagnostic.  A line is a
   * continuation when the text holds "NNN-" and no "NNN " closed it since. */
  if (text->len > 0 && reply_prefix (line, len, code) > 0)
    {
      const char *open = NULL;
      gboolean closed = FALSE;

      for (const char *p = text->str; (p = strstr (p, code)) != NULL; p++)
        {
          if ((p != text->str && g_ascii_isalnum (p[-1])) || reply_prefix (p, strlen (p), first) == 0)
            continue;
          if (p[3] == '-')
            {
              open = p;
              closed = FALSE;
            }
          else if (open != NULL)
            closed = TRUE;
        }
      if (open != NULL && !closed)
        {
          gsize skip = reply_prefix (line, len, code);
          line += skip;
          len -= skip;
        }
    }
  if (len == 0)
    return;
  if (text->len > 0)
    g_string_append_c (text, ' ');
  for (gsize i = 0; i < len && text->len < LEGACY_TEXT_MAX_BYTES; i++)
    {
      char c = line[i] == '\t' ? ' ' : line[i];
      if (c == ' ' && text->len > 0 && text->str[text->len - 1] == ' ')
        continue;
      g_string_append_c (text, c);
    }
  /* Cut at a character boundary when the limit cut the line. */
  if (text->len >= LEGACY_TEXT_MAX_BYTES)
    {
      gsize cut = text->len;
      while (cut > 0 && ((unsigned char) text->str[cut - 1] & 0xC0) == 0x80)
        cut--;
      if (cut > 0 && ((unsigned char) text->str[cut - 1] & 0xC0) == 0xC0)
        g_string_truncate (text, cut - 1);
    }
}

void
legacy_set_diagnostic (BounceReport *report, BounceRecipient *rcpt,
                       const GString *text)
{
  if (rcpt == NULL || text == NULL || text->len == 0)
    return;
  {
    g_autofree char *collapsed = bounce_text_collapse (text->str, (gssize) text->len);
    rcpt->diagnostic = bounce_report_str (report, collapsed);
  }
}

void
legacy_set_remote (BounceReport *report, BounceRecipient *rcpt,
                   const char *host, gssize len)
{
  gsize n;

  if (rcpt == NULL || host == NULL)
    return;
  n = len < 0 ? strlen (host) : (gsize) len;
  while (n > 0 && *host != '\0' && strchr (" \t[(<", *host) != NULL)
    host++, n--;
  {
    gsize i = 0;
    while (i < n && strchr (" \t\r\n[]()<>:,;", host[i]) == NULL)
      i++;
    n = i;
  }
  while (n > 0 && host[n - 1] == '.')
    n--;
  if (n == 0 || memchr (host, '.', n) == NULL)
    return;
  rcpt->remote_mta = bounce_report_strn (report, host, (gssize) n);
}

void
legacy_set_all (BounceReport *report, const char *action, const char *remote)
{
  for (guint i = 0; i < report->recipients->len; i++)
    {
      BounceRecipient *r = g_ptr_array_index (report->recipients, i);
      if (action != NULL)
        r->action = action;
      if (remote != NULL && r->remote_mta == NULL)
        legacy_set_remote (report, r, remote, -1);
    }
}

char *
legacy_returned_to (const BounceView *view)
{
  const char *text, *p, *end;
  gsize len;

  if (view->returned != NULL)
    {
      text = view->returned;
      len = view->returned_len;
    }
  else
    {
      text = legacy_returned_start (view);
      if (text == NULL)
        return NULL;
      len = view->body_len - (gsize) (text - view->body);
    }
  p = legacy_find_line (text, len, "To:");
  if (p == NULL)
    return NULL;
  end = memchr (p, '\n', len - (gsize) (p - text));
  if (end == NULL)
    end = text + len;
  /* One address only: a list of recipients does not say which failed. */
  if (memchr (p, ',', (gsize) (end - p)) != NULL)
    return NULL;
  return bounce_text_address (p + 3, end - p - 3);
}

/* Whether a line is a header field "Name: value" or its continuation. */
static gboolean
is_field_line (const char *line, gsize len)
{
  gsize i = 0;

  if (len == 0)
    return FALSE;
  if (line[0] == ' ' || line[0] == '\t')
    return TRUE;
  while (i < len && (g_ascii_isalnum (line[i]) || line[i] == '-'))
    i++;
  return i > 0 && i < len && line[i] == ':';
}

int
legacy_dsn_block (BounceReport *report, const BounceView *view)
{
  const char *fr = legacy_find_line (view->body, view->body_len, "Final-Recipient:");
  const char *start, *end;
  gsize pos, line_len;
  const char *line;
  g_autoptr(GError) error = NULL;
  int n;

  if (fr == NULL)
    fr = legacy_find_line (view->body, view->body_len, "Original-Recipient:");
  if (fr == NULL)
    return 0;
  /* Back to the per-message fields: the paragraphs of field lines before. */
  start = fr;
  while (start > view->body)
    {
      const char *prev = start - 1;   /* the '\n' ending the previous line */
      const char *ls = prev;

      while (ls > view->body && ls[-1] != '\n')
        ls--;
      if (!is_field_line (ls, (gsize) (prev - ls)) && !legacy_line_is_blank (ls, (gsize) (prev - ls)))
        break;
      start = ls;
    }
  /* Forward to the first line that is neither a field nor blank. */
  pos = (gsize) (fr - view->body);
  end = view->body + view->body_len;
  while (bounce_text_next_line (view->body, view->body_len, &pos, &line, &line_len))
    if (!is_field_line (line, line_len) && !legacy_line_is_blank (line, line_len))
      {
        end = line;
        break;
      }
  n = dsn_fields_parse (report, start, (gsize) (end - start), view->settings, &error);
  return n < 0 ? 0 : n;
}

/* Copies @s into @report's strings (NULL stays NULL). */
static const char *
copy_str (BounceReport *report, const char *s)
{
  return s ? bounce_report_str (report, s) : NULL;
}

/* Copies an action of the contract vocabulary as its static string. */
static const char *
copy_action (const char *action)
{
  static const char *const actions[] = { "failed", "delayed", "delivered", "relayed", "expanded" };

  if (action == NULL)
    return NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (actions); i++)
    if (strcmp (action, actions[i]) == 0)
      return actions[i];
  return "failed";
}

/* Reads @text (@len bytes) as a message of its own, within the limits of
 * @settings, into a new report, as bounce_report_parse() reads a message
 * (bounce-parse.c) when it is a DSN or a legacy bounce; NULL when it is
 * anything else, past a limit, or not a message.  Its recipients are
 * classified (notice_finish()) as the top-level parse classifies them, so
 * a status inferred there (status_source set) is among what the callers
 * copy into the notice's recipients. */
static BounceReport *
embedded_read (const char *text, gsize len, const BounceSettings *settings)
{
  g_auto(BounceView) view = { 0 };
  g_autoptr(BounceReport) inner = NULL;

  if (!bounce_view_init (&view, text, len, settings, NULL) || view.message == NULL)
    return NULL;
  inner = bounce_report_new ();
  inner->max_recipients = settings->max_recipients;
  bounce_view_describe (&view, inner);
  /* The decision of bounce_report_parse(), in its order, keeping only the
   * DSN and the legacy bounce. */
  if (view.status_part != NULL)
    {
      if (notice_read_dsn (inner, &view, NULL) < 0)
        return NULL;
    }
  else if (bounce_view_is_feedback (&view))
    return NULL;
  if (inner->kind == BOUNCE_KIND_NOT_BOUNCE)
    {
      bounce_view_ensure_body (&view);
      bounce_view_ensure_returned (&view);
      if (!legacy_is_daemon_notice (&view)
          && (kinds_is_unsubscribe (&view) || kinds_is_auto_reply (&view)))
        return NULL;
      if (!legacy_read (inner, &view))
        return NULL;
    }
  if (inner->too_many || (inner->kind != BOUNCE_KIND_DSN && inner->kind != BOUNCE_KIND_LEGACY))
    return NULL;
  notice_finish (inner, &view);
  return g_steal_pointer (&inner);
}

gboolean
legacy_embedded_parse (BounceReport *report, const BounceView *view,
                       const char *text, gsize len)
{
  g_autoptr(BounceReport) inner = NULL;
  gboolean found = FALSE;

  if (text == NULL || len == 0 || embed_depth >= LEGACY_EMBED_MAX_DEPTH)
    return FALSE;
  embed_depth++;
  inner = embedded_read (text, len, view->settings);
  embed_depth--;
  if (inner == NULL)
    return FALSE;
  for (guint i = 0; i < inner->recipients->len; i++)
    {
      BounceRecipient *src = g_ptr_array_index (inner->recipients, i);
      BounceRecipient *dst = legacy_add_named (report, view, src->recipient, -1, NULL, 0);

      if (dst == NULL)
        continue;
      found = TRUE;
      dst->original_recipient = copy_str (report, src->original_recipient);
      dst->action = copy_action (src->action);
      dst->status = copy_str (report, src->status);
      dst->reply_code = bounce_report_reply_code (report, src->reply_code, -1);
      dst->diagnostic_type = copy_str (report, src->diagnostic_type);
      if (dst->diagnostic == NULL)
        dst->diagnostic = copy_str (report, src->diagnostic);
      dst->remote_mta = copy_str (report, src->remote_mta);
      dst->last_attempt = copy_str (report, src->last_attempt);
      dst->will_retry_until = copy_str (report, src->will_retry_until);
      dst->last_attempt_text = copy_str (report, src->last_attempt_text);
      dst->will_retry_until_text = copy_str (report, src->will_retry_until_text);
      dst->final_log_id = copy_str (report, src->final_log_id);
    }
  if (found)
    {
      if (report->reporting_mta == NULL)
        report->reporting_mta = copy_str (report, inner->reporting_mta);
      if (report->original.message_id == NULL && report->original.from == NULL)
        {
          report->original.message_id = copy_str (report, inner->original.message_id);
          report->original.from = copy_str (report, inner->original.from);
          report->original.to = copy_str (report, inner->original.to);
          report->original.subject = copy_str (report, inner->original.subject);
          report->original.date = copy_str (report, inner->original.date);
          report->original.list_id = copy_str (report, inner->original.list_id);
          report->original.campaign = copy_str (report, inner->original.campaign);
        }
    }
  return found;
}

void
legacy_embedded_enrich (BounceReport *report, const BounceView *view,
                        const char *text, gsize len)
{
  g_autoptr(BounceReport) inner = NULL;

  if (text == NULL || len == 0 || embed_depth >= LEGACY_EMBED_MAX_DEPTH)
    return;
  embed_depth++;
  inner = embedded_read (text, len, view->settings);
  embed_depth--;
  if (inner == NULL)
    return;
  for (guint i = 0; i < inner->recipients->len; i++)
    {
      BounceRecipient *src = g_ptr_array_index (inner->recipients, i);
      BounceRecipient *dst = bounce_report_find_recipient (report, src->recipient);

      if (dst == NULL || dst->status != NULL || dst->reply_code != NULL)
        continue;
      if (src->status == NULL && src->reply_code == NULL)
        continue;
      dst->status = copy_str (report, src->status);
      dst->reply_code = bounce_report_reply_code (report, src->reply_code, -1);
      if (src->diagnostic != NULL)
        dst->diagnostic = copy_str (report, src->diagnostic);
      if (dst->remote_mta == NULL)
        dst->remote_mta = copy_str (report, src->remote_mta);
    }
}
