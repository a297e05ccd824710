/* bounce-text.c - small total functions over text: whitespace, addresses,
 * lines, case-insensitive search
 *
 * Addresses follow RFC 5321 section 4.1.2 loosely: a bounce quotes addresses
 * in every style ("<a@b>", "rfc822;a@b", "a@b (comment)", "Name <a@b>",
 * quoted local parts), and what we want is the bare "local@domain".
 */
#include "bounce-private.h"

#include <string.h>

/* Longest address we accept: RFC 5321 4.5.3.1 limits a path to 256 octets. */
#define BOUNCE_TEXT_MAX_ADDRESS 320

char *
bounce_text_collapse (const char *s, gssize n)
{
  GString *out;
  gsize len;
  gboolean space = FALSE;

  if (s == NULL)
    return NULL;
  len = n < 0 ? strlen (s) : (gsize) n;
  out = g_string_sized_new (len);
  for (gsize i = 0; i < len; i++)
    {
      char c = s[i];

      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v')
        {
          space = out->len > 0;
          continue;
        }
      if (c == '\0')
        continue;
      if (space)
        g_string_append_c (out, ' ');
      space = FALSE;
      g_string_append_c (out, c);
    }
  if (out->len == 0)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

static gboolean
is_atext (unsigned char c)
{
  /* RFC 5322 3.2.3 atext, plus '.' for dot-atoms, plus UTF-8 (RFC 6532). */
  return g_ascii_isalnum (c) || c >= 0x80 || strchr ("!#$%&'*+-/=?^_`{|}~.", c) != NULL;
}

static gboolean
is_domain_char (unsigned char c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '.' || c == '_' || c >= 0x80
         || c == '[' || c == ']' || c == ':';
}

gboolean
bounce_text_is_address (const char *s)
{
  const char *at;
  gsize len;

  if (s == NULL)
    return FALSE;
  len = strlen (s);
  if (len < 3 || len > BOUNCE_TEXT_MAX_ADDRESS)
    return FALSE;
  at = strrchr (s, '@');
  if (at == NULL || at == s || at[1] == '\0')
    return FALSE;
  for (const char *p = at + 1; *p; p++)
    if (!is_domain_char ((unsigned char) *p))
      return FALSE;
  if (at[1] == '.' || at[1] == '-' || s[len - 1] == '.')
    return FALSE;
  return TRUE;
}

/* Scans an address around the '@' at @at inside [start, end). */
static char *
address_around (const char *start, const char *end, const char *at)
{
  const char *l = at, *r = at + 1;
  char *addr;

  if (l > start && l[-1] == '"')
    {
      /* "quoted local"@domain: walk back to the opening quote. */
      const char *q = l - 1;
      while (q > start && q[-1] != '"')
        q--;
      l = q > start ? q - 1 : l;
    }
  else
    while (l > start && is_atext ((unsigned char) l[-1]))
      l--;
  while (r < end && is_domain_char ((unsigned char) *r))
    r++;
  /* Trailing dots and colons are punctuation of the sentence, not the address. */
  while (r > at + 1 && (r[-1] == '.' || r[-1] == ':' || r[-1] == ']'))
    {
      if (r[-1] == ']' && memchr (at, '[', (gsize) (r - at)) != NULL)
        break;
      r--;
    }
  /* 'a@b' in single quotes: the quotes belong to the sentence, although
   * RFC 5322 3.2.3 allows an apostrophe in a local part (o'neil@...). */
  if (*l == '\'' && r < end && *r == '\'')
    l++;
  while (l < at && (*l == '.'))
    l++;
  if (l == at || r == at + 1)
    return NULL;
  addr = g_strndup (l, (gsize) (r - l));
  if (!bounce_text_is_address (addr))
    {
      g_free (addr);
      return NULL;
    }
  return addr;
}

char *
bounce_text_address (const char *s, gssize n)
{
  const char *end, *lt, *at;
  gsize len;

  if (s == NULL)
    return NULL;
  len = n < 0 ? strlen (s) : (gsize) n;
  end = s + len;

  /* Prefer an address in angle brackets. */
  lt = memchr (s, '<', len);
  while (lt != NULL)
    {
      const char *gt = memchr (lt, '>', (gsize) (end - lt));
      if (gt == NULL)
        break;
      at = memchr (lt, '@', (gsize) (gt - lt));
      if (at != NULL)
        {
          char *addr = address_around (lt + 1, gt, at);
          if (addr != NULL)
            return addr;
        }
      lt = memchr (gt, '<', (gsize) (end - gt));
    }

  /* An address type prefix (RFC 3464 2.3.2 "rfc822;" / RFC 6533 "utf-8;"). */
  {
    const char *semi = memchr (s, ';', len);
    if (semi != NULL && semi - s < 16 && memchr (s, '@', (gsize) (semi - s)) == NULL)
      s = semi + 1;
  }
  for (at = memchr (s, '@', (gsize) (end - s)); at != NULL;
       at = memchr (at + 1, '@', (gsize) (end - at - 1)))
    {
      char *addr = address_around (s, end, at);
      if (addr != NULL)
        return addr;
      if (at + 1 >= end)
        break;
    }
  return NULL;
}

gboolean
bounce_text_address_equal (const char *a, const char *b)
{
  if (a == NULL || b == NULL)
    return FALSE;
  return g_ascii_strcasecmp (a, b) == 0;
}

/* ASCII lower case by table: this search runs over every notice body for
 * every marker phrase, and g_ascii_tolower() calls dominated the profile. */
static const unsigned char lower[256] = {
#define L(c) ((unsigned char) ((c) >= 'A' && (c) <= 'Z' ? (c) + 32 : (c)))
#define R4(b) L (b), L (b + 1), L (b + 2), L (b + 3)
#define R16(b) R4 (b), R4 (b + 4), R4 (b + 8), R4 (b + 12)
#define R64(b) R16 (b), R16 (b + 16), R16 (b + 32), R16 (b + 48)
  R64 (0), R64 (64), R64 (128), R64 (192)
#undef R64
#undef R16
#undef R4
#undef L
};

const char *
bounce_text_find (const char *hay, gssize n, const char *needle)
{
  const unsigned char *h = (const unsigned char *) hay;
  const unsigned char *nd = (const unsigned char *) needle;
  gsize len, nlen;
  unsigned char lo, up;

  if (hay == NULL || needle == NULL)
    return NULL;
  len = n < 0 ? strlen (hay) : (gsize) n;
  nlen = strlen (needle);
  if (nlen == 0)
    return hay;
  if (nlen > len)
    return NULL;
  lo = lower[nd[0]];
  up = (lo >= 'a' && lo <= 'z') ? (unsigned char) (lo - 32) : lo;
  for (gsize i = 0; i + nlen <= len; i++)
    {
      const unsigned char *p;
      gsize k;

      /* Jump to the next byte that can start a match. */
      if (lo == up)
        p = memchr (h + i, lo, len - nlen + 1 - i);
      else
        {
          const unsigned char *a = memchr (h + i, lo, len - nlen + 1 - i);
          const unsigned char *b = memchr (h + i, up, (a ? (gsize) (a - h) : len - nlen + 1) - i);
          p = b ? b : a;
        }
      if (p == NULL)
        return NULL;
      i = (gsize) (p - h);
      for (k = 1; k < nlen && lower[h[i + k]] == lower[nd[k]]; k++)
        ;
      if (k == nlen)
        return hay + i;
    }
  return NULL;
}

gboolean
bounce_text_next_line (const char *text, gsize len, gsize *pos,
                       const char **line_out, gsize *line_len_out)
{
  const char *nl;
  gsize start = *pos;

  if (start >= len)
    return FALSE;
  nl = memchr (text + start, '\n', len - start);
  *line_out = text + start;
  if (nl == NULL)
    {
      *line_len_out = len - start;
      *pos = len;
    }
  else
    {
      *line_len_out = (gsize) (nl - (text + start));
      *pos = (gsize) (nl - text) + 1;
    }
  return TRUE;
}
