/* legacy-provider-private.h - what the provider recognisers share
 *
 * The recognisers of providers' notices live in legacy-provider-*.c, one
 * file per family (Microsoft, Google, Amazon, webmail providers); their
 * table is in legacy-provider.c.  The helpers below read the notice's body
 * line by line; they are static inline so that each file keeps its own copy
 * and nothing beyond the recognisers is exported.
 */
#pragma once

#include "legacy-private.h"

#include <string.h>

G_BEGIN_DECLS

/* How far into the notice the phrases that identify a layout are looked
 * for: they open the notice, and the text after them may be a long copy of
 * the returned message that is not worth scanning for every layout. */
#define PROVIDER_MARKER_SPAN (32u * 1024u)

/* ---- small helpers ------------------------------------------------------ */

static inline const char *
body_find (const BounceView *view, const char *needle)
{
  return bounce_text_find (view->body, (gssize) view->body_len, needle);
}

/* body_find() over the first PROVIDER_MARKER_SPAN bytes only. */
static inline const char *
head_find (const BounceView *view, const char *needle)
{
  return bounce_text_find (view->body, (gssize) MIN (view->body_len, PROVIDER_MARKER_SPAN),
                           needle);
}

static inline gsize
body_offset (const BounceView *view, const char *p)
{
  return (gsize) (p - view->body);
}

/* Offset of the line after the one holding @p. */
static inline gsize
after_line (const BounceView *view, const char *p)
{
  const char *nl = memchr (p, '\n', view->body_len - body_offset (view, p));

  return nl ? body_offset (view, nl) + 1 : view->body_len;
}

static inline gboolean
line_blank (const char *line, gsize len)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isspace (line[i]))
      return FALSE;
  return TRUE;
}

static inline gsize
line_indent (const char *line, gsize len)
{
  gsize i = 0;

  while (i < len && (line[i] == ' ' || line[i] == '\t'))
    i++;
  return i;
}

static inline gboolean
starts_with (const char *line, gsize len, const char *prefix)
{
  gsize n = strlen (prefix);

  return len >= n && g_ascii_strncasecmp (line, prefix, n) == 0;
}

/* Whether the line (trimmed) is nothing but one address, in one of the
 * forms notices use: addr, <addr>, "addr", addr:, <addr>:, "addr":,
 * addr<mailto:addr>.  Returns the bare address, newly allocated, or NULL. */
static inline char *
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
static inline gboolean
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
static inline void
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
    rcpt->reply_code = bounce_report_reply_code (report, code, -1);
}

/* Replaces the diagnostic of @rcpt with @text, collapsed to one line. */
static inline void
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
static inline void
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

static inline gboolean
from_has (const BounceView *view, const char *needle)
{
  return bounce_text_find (view->from, -1, needle) != NULL;
}

static inline gboolean
header_has (const BounceView *view, const char *name, const char *needle)
{
  const char *v = bounce_view_header (view, name);

  return v != NULL && (needle == NULL || bounce_text_find (v, -1, needle) != NULL);
}

/* Marks every recipient of the report delayed. */
static inline void
all_delayed (BounceReport *report)
{
  for (guint i = 0; i < report->recipients->len; i++)
    ((BounceRecipient *) g_ptr_array_index (report->recipients, i))->action = "delayed";
}

/* Joins the lines of @text into @out with legacy_text_append(), which drops
 * the repeated codes of multi-line SMTP replies (RFC 5321 4.2.1). */
static inline void
append_lines (GString *out, const char *text)
{
  const char *line;
  gsize line_len, pos = 0, len = strlen (text);

  while (bounce_text_next_line (text, len, &pos, &line, &line_len))
    legacy_text_append (out, line, line_len);
}

/* ---- the recognisers ----------------------------------------------------- */

/* Each is a LegacyRecogniser (bounce-private.h): TRUE when the notice is in
 * its layout, having added the failed recipients; FALSE leaves @report as it
 * was.  Named after the format they give report->format in the table. */

gboolean legacy_office365_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_exchange2007_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_exchange2003_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_outlook_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_gmail_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_googleworkspace_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_yahoo_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_amazonses_json_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_amazonworkmail_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_amazonses_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_receivingses_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_mailru_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_gmx_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_einsundeins_recognise (BounceReport *report, const BounceView *view);
gboolean legacy_zoho_recognise (BounceReport *report, const BounceView *view);

G_END_DECLS
