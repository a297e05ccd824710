/* classify-code.c - patterns over RFC 3463 status codes and RFC 5321 replies
 *
 * A status pattern is "C.S.D" (RFC 3463 section 2: class "." subject "."
 * detail) where each part is a number or "x" for any, and the detail may
 * be a range "606-649" (the provider codes of the x.7.5xx and x.7.6xx
 * families come in ranges).  A reply pattern is three characters, each a
 * digit or "x": "550", "55x", "5xx".
 */
#include "classify-private.h"

#include <stdlib.h>
#include <string.h>

/* RFC 3463: subject and detail are 1*3digit. */
#define CODE_PART_MAX 999

/* Reads a number of 1-3 digits at *@p, or "x" (-1).  Advances *@p. */
static gboolean
read_part (const char **p, int *value_out, gboolean allow_x)
{
  const char *s = *p;
  int v = 0, n = 0;

  if (allow_x && (*s == 'x' || *s == 'X' || *s == '*'))
    {
      *value_out = -1;
      *p = s + 1;
      return TRUE;
    }
  while (g_ascii_isdigit (s[n]) && n < 4)
    v = v * 10 + (s[n++] - '0');
  if (n == 0 || n > 3 || v > CODE_PART_MAX)
    return FALSE;
  *value_out = v;
  *p = s + n;
  return TRUE;
}

gboolean
classify_code_parse (const char *text, ClassifyCodePattern *pattern_out)
{
  ClassifyCodePattern pat;
  const char *p = text;

  if (text == NULL)
    return FALSE;
  if (!read_part (&p, &pat.cls, TRUE) || *p++ != '.')
    return FALSE;
  if (pat.cls != -1 && pat.cls != 2 && pat.cls != 4 && pat.cls != 5)
    return FALSE;
  if (!read_part (&p, &pat.subject, TRUE) || *p++ != '.')
    return FALSE;
  if (!read_part (&p, &pat.detail_lo, TRUE))
    return FALSE;
  pat.detail_hi = pat.detail_lo;
  if (*p == '-' && pat.detail_lo >= 0)
    {
      p++;
      if (!read_part (&p, &pat.detail_hi, FALSE) || pat.detail_hi < pat.detail_lo)
        return FALSE;
    }
  if (*p != '\0')
    return FALSE;
  *pattern_out = pat;
  return TRUE;
}

gboolean
classify_code_split (const char *status, ClassifyCode *code_out)
{
  const char *p = status;
  ClassifyCode code;

  if (status == NULL)
    return FALSE;
  if (!read_part (&p, &code.cls, FALSE) || *p++ != '.' || !read_part (&p, &code.subject, FALSE)
      || *p++ != '.' || !read_part (&p, &code.detail, FALSE))
    return FALSE;
  *code_out = code;
  return TRUE;
}

gboolean
classify_code_match_split (const ClassifyCodePattern *pattern, const ClassifyCode *code)
{
  return (pattern->cls < 0 || pattern->cls == code->cls)
         && (pattern->subject < 0 || pattern->subject == code->subject)
         && (pattern->detail_lo < 0
             || (code->detail >= pattern->detail_lo && code->detail <= pattern->detail_hi));
}

gboolean
classify_code_match (const ClassifyCodePattern *pattern, const char *status)
{
  ClassifyCode code;

  return classify_code_split (status, &code) && classify_code_match_split (pattern, &code);
}

int
classify_code_specificity (const ClassifyCodePattern *pattern)
{
  int score = 0;

  if (pattern->cls >= 0)
    score += 1;
  if (pattern->subject >= 0)
    score += 4;
  if (pattern->detail_lo >= 0)
    score += pattern->detail_lo == pattern->detail_hi ? 16 : 8;
  return score;
}

gboolean
classify_reply_valid (const char *pattern)
{
  if (pattern == NULL || strlen (pattern) != 3)
    return FALSE;
  if (pattern[0] != '2' && pattern[0] != '4' && pattern[0] != '5')
    return FALSE;
  for (int i = 1; i < 3; i++)
    if (!g_ascii_isdigit (pattern[i]) && pattern[i] != 'x' && pattern[i] != 'X')
      return FALSE;
  return TRUE;
}

gboolean
classify_reply_match (const char *pattern, const char *reply)
{
  if (pattern == NULL || reply == NULL || strlen (reply) != 3)
    return FALSE;
  for (int i = 0; i < 3; i++)
    if (pattern[i] != 'x' && pattern[i] != 'X' && pattern[i] != reply[i])
      return FALSE;
  return TRUE;
}
