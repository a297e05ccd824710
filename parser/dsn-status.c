/* dsn-status.c - RFC 3463 enhanced status codes and SMTP reply codes
 *
 * RFC 3463 section 2:
 *   status-code = class "." subject "." detail
 *   class       = "2" / "4" / "5"
 *   subject     = 1*3digit
 *   detail      = 1*3digit
 * RFC 5321 section 4.2: a reply code is three digits, the first 2-5.
 *
 * Deliberate deviation: when a DSN's Status is missing, malformed or generic
 * (x.0.0) and its Diagnostic-Code carries a more specific enhanced code of
 * the same class, we report the specific one: MTAs often put the generic code
 * in Status and the receiving server's own code only in the diagnostic.
 */
#include "bounce-private.h"

#include <string.h>

/* Length of the code starting at @s, or 0 if @s does not start with one. */
static gsize
status_span (const char *s, const char *end)
{
  const char *p = s;
  int digits;

  if (p >= end || (*p != '2' && *p != '4' && *p != '5'))
    return 0;
  p++;
  for (int part = 0; part < 2; part++)
    {
      if (p >= end || *p != '.')
        return 0;
      p++;
      for (digits = 0; p < end && g_ascii_isdigit (*p) && digits < 4; digits++)
        p++;
      if (digits == 0 || digits > 3)
        return 0;
    }
  return (gsize) (p - s);
}

gboolean
dsn_status_is_valid (const char *s, gssize n)
{
  gsize len;

  if (s == NULL)
    return FALSE;
  len = n < 0 ? strlen (s) : (gsize) n;
  return len > 0 && status_span (s, s + len) == len;
}

gboolean
dsn_status_is_generic (const char *status)
{
  return status != NULL && dsn_status_is_valid (status, -1)
         && strcmp (status + 1, ".0.0") == 0;
}

gboolean
dsn_status_find (const char *text, char *code_out)
{
  const char *end;

  if (text == NULL)
    return FALSE;
  end = text + strlen (text);
  for (const char *p = text; p < end; p++)
    {
      gsize span;

      if (*p != '2' && *p != '4' && *p != '5')
        continue;
      /* Must stand alone: not inside a number, an IP address, a version.
       * A '-' is allowed after a reply code: RFC 5321 4.2.1 multiline
       * replies read "550-5.7.1 ...". */
      if (p > text && (g_ascii_isalnum (p[-1]) || p[-1] == '.' || p[-1] == '-'
                       || p[-1] == '/' || p[-1] == '_')
          && !(p[-1] == '-' && p - text >= 4 && g_ascii_isdigit (p[-4])
               && g_ascii_isdigit (p[-3]) && g_ascii_isdigit (p[-2])
               && (p - text == 4 || !g_ascii_isalnum (p[-5]))))
        continue;
      span = status_span (p, end);
      if (span == 0)
        continue;
      if (p + span < end && (g_ascii_isalnum (p[span]) || p[span] == '.'
                             || p[span] == '-' || p[span] == '_' || p[span] == '/'
                             || p[span] == '@'))
        {
          /* "5.1.1." ending a sentence is still a code. */
          if (!(p[span] == '.' && (p + span + 1 >= end || !g_ascii_isdigit (p[span + 1]))))
            continue;
        }
      memcpy (code_out, p, span);
      code_out[span] = '\0';
      return TRUE;
    }
  return FALSE;
}

static gboolean
reply_code_at (const char *p, const char *start, const char *end)
{
  if (end - p < 3)
    return FALSE;
  if ((p[0] < '2' || p[0] > '5') || !g_ascii_isdigit (p[1]) || !g_ascii_isdigit (p[2]))
    return FALSE;
  if (p[1] > '5')
    return FALSE;
  if (p > start && (g_ascii_isalnum (p[-1]) || p[-1] == '.' || p[-1] == '-'
                    || p[-1] == ':' || p[-1] == '/' || p[-1] == '#'))
    return FALSE;
  if (p + 3 < end && !(p[3] == ' ' || p[3] == '-' || p[3] == '\t' || p[3] == ','
                       || p[3] == '\n' || p[3] == ')' || p[3] == ']' || p[3] == '"'
                       || p[3] == '\''))
    return FALSE;
  return TRUE;
}

/* Words after which a reply code usually follows in diagnostics. */
static const char *const reply_code_cues[] = {
  "said:", "said", "says:", "responded:", "replied:", "response:",
  "reply:", "error:", "error", "returned:", "answered:", "smtp;",
  "code:", "message:", "deferred:",
};

gboolean
dsn_status_find_reply_code (const char *text, char *code_out)
{
  const char *end, *p;

  if (text == NULL)
    return FALSE;
  end = text + strlen (text);
  p = text;
  while (p < end && (g_ascii_isspace (*p) || *p == '"' || *p == '(' || *p == '['))
    p++;
  /* At the start: "550 5.1.1 ...", "550-5.1.1", "550 Requested action...". */
  if (reply_code_at (p, text, end))
    goto found;

  /* A code directly before an enhanced code of the same class. */
  for (p = text; p < end; p++)
    {
      if (!reply_code_at (p, text, end) || p + 4 >= end)
        continue;
      if (p[4] == p[0] && p + 5 < end && p[5] == '.')
        goto found;
      if (p[3] == ' ' && p[4] == '#' && p[5] == p[0])
        goto found;
    }

  /* The SMTP multi-line form "550-'text" or "550-Text" anywhere. */
  for (p = text; p + 4 < end; p++)
    if (reply_code_at (p, text, end) && p[3] == '-'
        && (g_ascii_isalpha (p[4]) || p[4] == '\'' || p[4] == '"'))
      goto found;

  /* A code after a cue word ("host x said: 550 ..."). */
  for (gsize i = 0; i < G_N_ELEMENTS (reply_code_cues); i++)
    {
      const char *cue = text;

      while ((cue = bounce_text_find (cue, end - cue, reply_code_cues[i])) != NULL)
        {
          cue += strlen (reply_code_cues[i]);
          p = cue;
          while (p < end && (*p == ' ' || *p == '"' || *p == '(' || *p == '['))
            p++;
          if (reply_code_at (p, text, end))
            goto found;
        }
    }
  return FALSE;

found:
  memcpy (code_out, p, 3);
  code_out[3] = '\0';
  return TRUE;
}

/* Whether @text opens with the remote server's own answer "NNN c.s.d"
 * carrying @code: then the code is the receiving system's, and more precise
 * than a Status the reporting MTA derived (Sendmail, for one, reports 5.1.1
 * for many RCPT rejections whatever the server said). */
static gboolean
answer_code (const char *text, const char *code)
{
  const char *p = text;

  while (*p == ' ' || *p == '"' || *p == '(' || *p == '<' || *p == '[')
    p++;
  if (!(g_ascii_isdigit (p[0]) && g_ascii_isdigit (p[1]) && g_ascii_isdigit (p[2])
        && (p[3] == ' ' || p[3] == '-')))
    return FALSE;
  p += 4;
  while (*p == ' ' || *p == '#')
    p++;
  return strncmp (p, code, strlen (code)) == 0;
}

/* The first enhanced code of @text that a reply code introduces, as the
 * receiving server writes its answer: "550 5.7.1", "550-5.7.1", "550 #5.7.1"
 * or, quoted by a relay, "550-'5.7.1".  A bare code elsewhere may be the
 * reporting MTA's own summary of that answer ("5.1.0 - Unknown address
 * error 550-'5.7.1 ... Access denied'"). */
static gboolean
answer_code_find (const char *text, char *code_out)
{
  const char *end = text + strlen (text);

  for (const char *p = text; p + 4 < end; p++)
    {
      const char *c;
      gsize span;

      if (!reply_code_at (p, text, end) || (p[3] != ' ' && p[3] != '-'))
        continue;
      c = p + 4;
      if (c < end && (*c == '\'' || *c == '"' || *c == '#'))
        c++;
      if (c >= end || *c != p[0] || (span = status_span (c, end)) == 0)
        continue;
      if (c + span < end && (g_ascii_isalnum (c[span]) || c[span] == '-' || c[span] == '_'
                             || (c[span] == '.' && c + span + 1 < end
                                 && g_ascii_isdigit (c[span + 1]))))
        continue;
      memcpy (code_out, c, span);
      code_out[span] = '\0';
      return TRUE;
    }
  return FALSE;
}

void
dsn_status_complete (BounceReport *report, BounceRecipient *rcpt)
{
  char code[16];
  char reply[4];
  const char *text = rcpt->diagnostic;

  if (text != NULL && (answer_code_find (text, code) || dsn_status_find (text, code)))
    {
      gboolean take = FALSE;

      if (rcpt->status == NULL || !dsn_status_is_valid (rcpt->status, -1))
        take = TRUE;
      else if (dsn_status_is_generic (rcpt->status) && code[0] == rcpt->status[0]
               && !dsn_status_is_generic (code))
        take = TRUE;
      else if (code[0] == rcpt->status[0] && strcmp (code, rcpt->status) != 0
               && !dsn_status_is_generic (code) && answer_code (text, code))
        take = TRUE;
      if (take)
        rcpt->status = bounce_report_str (report, code);
    }
  else if (rcpt->status != NULL && !dsn_status_is_valid (rcpt->status, -1))
    {
      /* A malformed Status that still holds a code ("5.1.1 (user unknown)"). */
      if (dsn_status_find (rcpt->status, code))
        rcpt->status = bounce_report_str (report, code);
      else
        rcpt->status = NULL;
    }

  if (rcpt->reply_code == NULL && text != NULL && dsn_status_find_reply_code (text, reply))
    {
      /* A reply code of another class than the status contradicts it. */
      if (rcpt->status == NULL || rcpt->status[0] == reply[0])
        rcpt->reply_code = bounce_report_reply_code (report, reply, -1);
    }
}

gboolean
bounce_status_is_valid (const char *status)
{
  return status != NULL && dsn_status_is_valid (status, -1);
}
