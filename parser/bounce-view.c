/* bounce-view.c - the view of a message: built once, read by every reader
 *
 * Turns the bytes of a message into a BounceView (bounce-view.h): GMime's
 * message, its decoded From and Subject, the parts that decide what it is
 * (RFC 6522 multipart/report and its report-type, the RFC 3464
 * message/delivery-status part or a look-alike, the RFC 5965
 * message/feedback-report part, the returned message or its headers), and,
 * on demand, the text of the notice (text parts in UTF-8, else HTML parts
 * as text), where the copy of the returned message starts in it, and the
 * text of the returned message part.  The decision of what the message
 * is belongs to bounce-parse.c; the legacy recognisers build views of the
 * messages a notice quotes with the same function.
 *
 * Invariants:
 *  1. Nothing past settings->max_message_size is read; MIME nesting deeper
 *     than settings->max_mime_depth is refused before GMime recurses into it
 *     (GMime's parser is recursive: unbounded depth would exhaust the stack),
 *     and more than settings->max_mime_parts parts before GMime builds them
 *     (each part costs GMime about a kilobyte and a half, whatever its size:
 *     a few megabytes of empty parts would take gigabytes).
 *  2. LF, CRLF and CR line ends give the same view: input is normalised to
 *     LF before anything looks at it, and decoded parts are normalised again.
 *  3. The texts are built at most once, and only when asked for (most DSNs
 *     are read from their status part alone, and charset conversion is a
 *     good part of the cost of a message); the copy's markers are searched
 *     once, however many recognisers ask (view->memo).
 *  4. Its readers get the parts the walk found and the texts built here;
 *     none of them converts a part's text again.
 */
#include "bounce-private.h"
#include "phrase-set.h"

#include <string.h>

static GMimeParserOptions *parser_options;

static gpointer
gmime_setup (gpointer unused)
{
  /* Raw 8-bit headers of unknown charset: the charsets that bounces in the
   * wild use most, tried in order (UTF-8 first, as RFC 6532 allows it). */
  static const char *fallback[] = {
    "UTF-8", "ISO-2022-JP", "Shift_JIS", "EUC-JP", "GB18030", "EUC-KR",
    "KOI8-R", "windows-1252", NULL
  };

  g_mime_init ();
  parser_options = g_mime_parser_options_new ();
  g_mime_parser_options_set_fallback_charsets (parser_options, fallback);
  g_mime_parser_options_set_rfc2047_compliance_mode (parser_options, GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_address_compliance_mode (parser_options, GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_parameter_compliance_mode (parser_options, GMIME_RFC_COMPLIANCE_LOOSE);
  return NULL;
}

void
bounce_view_init_gmime (void)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, gmime_setup, NULL);
}

/* Copies @data with every CRLF and lone CR turned into LF.  Most mail on
 * disk already has LF ends: then it is one memchr() and one memcpy(). */
static char *
normalise_line_ends (const char *data, gsize len, gsize *len_out)
{
  char *out = g_malloc (len + 1);
  /* An empty part's content comes with data NULL: memchr() and memcpy()
   * must not see it (C17 7.24.1p2), even with a length of 0. */
  const char *cr = len > 0 ? memchr (data, '\r', len) : NULL;
  gsize w, r;

  if (len == 0)
    {
      out[0] = '\0';
      *len_out = 0;
      return out;
    }
  if (cr == NULL)
    {
      memcpy (out, data, len);
      out[len] = '\0';
      *len_out = len;
      return out;
    }
  w = r = (gsize) (cr - data);
  memcpy (out, data, w);
  for (; r < len; r++)
    {
      if (data[r] == '\r')
        {
          out[w++] = '\n';
          if (r + 1 < len && data[r + 1] == '\n')
            r++;
        }
      else
        out[w++] = data[r];
    }
  out[w] = '\0';
  *len_out = w;
  return out;
}

/* Turns every CRLF and lone CR of @buf (@len bytes, ours) into LF in place
 * (the text only shrinks) and NUL-terminates it (@buf has room for one
 * byte more); returns @buf.  A buffer GMime or iconv gave us needs no copy
 * of its own. */
static char *
normalise_owned (char *buf, gsize len, gsize *len_out)
{
  const char *cr = len > 0 ? memchr (buf, '\r', len) : NULL;
  gsize w, r;

  if (cr == NULL)
    {
      buf[len] = '\0';
      *len_out = len;
      return buf;
    }
  w = r = (gsize) (cr - buf);
  for (; r < len; r++)
    {
      if (buf[r] == '\r')
        {
          buf[w++] = '\n';
          if (r + 1 < len && buf[r + 1] == '\n')
            r++;
        }
      else
        buf[w++] = buf[r];
    }
  buf[w] = '\0';
  *len_out = w;
  return buf;
}

/* ---- MIME depth and parts, estimated before GMime sees the message ----- */

#define DEPTH_STACK_MAX 1024

/* What the pre-scan found: upper bounds of what GMime would build. */
typedef struct {
  guint depth;     /* MIME nesting depth */
  guint parts;     /* parts of multiparts (a boundary line opens each) */
} Structure;

/* The boundary parameter of a Content-Type header value, read by GMime's
 * own parameter parser (RFC 2045 quoting, RFC 2231 continuations, the loose
 * mode of the real parse), so that the pre-scan knows every boundary GMime
 * will know; trailing blanks dropped (GMime allows blanks after a boundary
 * line, RFC 2046 5.1.1).  Newly allocated, or NULL. */
static char *
content_type_boundary (const char *value, gsize len)
{
  g_autofree char *copy = g_strndup (value, len);
  g_autoptr(GMimeContentType) ct = g_mime_content_type_parse (parser_options, copy);
  const char *b = ct ? g_mime_content_type_get_parameter (ct, "boundary") : NULL;
  gsize blen;

  if (b == NULL)
    return NULL;
  blen = strlen (b);
  while (blen > 0 && (b[blen - 1] == ' ' || b[blen - 1] == '\t'))
    blen--;
  return blen > 0 ? g_strndup (b, blen) : NULL;
}

/* Upper bounds of the MIME nesting depth and of the number of MIME parts of
 * @text, in one pass, without building anything:
 *  - depth by a boundary stack: a multipart Content-Type pushes its
 *    boundary, a message/ Content-Type pushes a level that the enclosing
 *    boundary closes, and a boundary line pops down to its own level;
 *  - parts by counting the lines GMime could take for a boundary that opens
 *    a part: "--" and a boundary declared by any Content-Type seen so far,
 *    then only blanks (GMime's own test).  GMime only knows the boundaries
 *    of the enclosing multiparts, a subset of these, so the count is never
 *    below the number of parts it builds.
 * Stops early once @out is past either limit.  Memory is that of the
 * declared boundaries, whatever the number of parts. */
static void
estimate_structure (const char *text, gsize len, guint depth_limit, guint parts_limit,
                    Structure *out)
{
  g_autoptr(GPtrArray) stack = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) declared = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *line;
  gsize line_len, pos = 0;

  *out = (Structure) { 0 };
  while (bounce_text_next_line (text, len, &pos, &line, &line_len))
    {
      if (line_len > 2 && line[0] == '-' && line[1] == '-')
        {
          gsize n = line_len;
          g_autofree char *open = NULL;

          while (n > 2 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
            n--;
          if (g_hash_table_size (declared) > 0)
            {
              open = g_strndup (line + 2, n - 2);
              if (g_hash_table_contains (declared, open))
                out->parts++;
            }
          for (guint i = stack->len; i-- > 0;)
            {
              const char *b = g_ptr_array_index (stack, i);
              gsize blen = b ? strlen (b) : 0;

              if (b && line_len >= blen + 2 && memcmp (line + 2, b, blen) == 0)
                {
                  gboolean closing = line_len >= blen + 4 && line[blen + 2] == '-'
                                     && line[blen + 3] == '-';
                  g_ptr_array_set_size (stack, closing ? i : i + 1);
                  break;
                }
            }
          if (out->parts > parts_limit)
            return;
          continue;
        }
      if (line_len < 12 || g_ascii_strncasecmp (line, "content-type", 12) != 0)
        continue;
      {
        /* Unfold the header to find its type and boundary ("Content-Type"
         * then blanks and a colon: GMime accepts blanks before it). */
        gsize end = pos, name = 12;
        const char *l2;
        gsize l2_len;
        g_autofree char *header = NULL;
        char *boundary = NULL;

        while (name < line_len && (line[name] == ' ' || line[name] == '\t'))
          name++;
        if (name >= line_len || line[name] != ':')
          continue;
        while (end < len && (text[end] == ' ' || text[end] == '\t'))
          {
            gsize p2 = end;
            bounce_text_next_line (text, len, &p2, &l2, &l2_len);
            end = p2;
          }
        header = g_strndup (line, (end > pos ? end : pos) - (gsize) (line - text));
        if (bounce_text_find (header, -1, "multipart") != NULL
            && (boundary = content_type_boundary (header + name + 1,
                                                  strlen (header + name + 1))) != NULL)
          {
            g_ptr_array_add (stack, g_strdup (boundary));
            g_hash_table_add (declared, boundary);
          }
        else if (bounce_text_find (header, -1, "message/rfc822") != NULL
                 || bounce_text_find (header, -1, "message/global") != NULL
                 || bounce_text_find (header, -1, "message/news") != NULL)
          g_ptr_array_add (stack, NULL);
      }
      out->depth = MAX (out->depth, stack->len);
      if (out->depth > depth_limit || stack->len >= DEPTH_STACK_MAX)
        return;
    }
}

/* Refuses @text (with @error_out set) when its estimated structure is past
 * the limits of @settings, less what the enclosing levels already used
 * (@depth levels, @parts parts). */
static gboolean
structure_check (const char *text, gsize len, const BounceSettings *settings,
                 guint depth, guint parts, GError **error_out)
{
  guint depth_budget = settings->max_mime_depth > depth ? settings->max_mime_depth - depth : 0;
  guint parts_budget = settings->max_mime_parts > parts ? settings->max_mime_parts - parts : 0;
  Structure found;

  estimate_structure (text, len, depth_budget, parts_budget, &found);
  if (found.depth > depth_budget)
    {
      g_set_error (error_out, BOUNCE_PARSE_ERROR, BOUNCE_PARSE_ERROR_TOO_LARGE,
                   "MIME structure is nested deeper than %u levels", settings->max_mime_depth);
      return FALSE;
    }
  if (found.parts > parts_budget)
    {
      g_set_error (error_out, BOUNCE_PARSE_ERROR, BOUNCE_PARSE_ERROR_TOO_LARGE,
                   "MIME structure has more than %u parts", settings->max_mime_parts);
      return FALSE;
    }
  return TRUE;
}

/* ---- walking the MIME tree ---------------------------------------------- */

/* Decoded content of a leaf part (transfer encoding removed), LF line ends. */
char *
bounce_view_part_content (GMimeObject *object, gsize *len_out)
{
  GMimeDataWrapper *content;
  g_autoptr(GMimeStream) mem = NULL;
  GByteArray *bytes;
  gsize len;
  char *text;

  if (!GMIME_IS_PART (object))
    {
      *len_out = 0;
      return g_strdup ("");
    }
  content = g_mime_part_get_content (GMIME_PART (object));
  mem = g_mime_stream_mem_new ();
  if (content != NULL)
    g_mime_data_wrapper_write_to_stream (content, mem);
  /* The stream's buffer becomes ours (no copy): the stream lets go of it. */
  bytes = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (mem));
  g_mime_stream_mem_set_owner (GMIME_STREAM_MEM (mem), FALSE);
  len = bytes->len;
  g_byte_array_append (bytes, (const guint8 *) "", 1);
  text = (char *) g_byte_array_free (bytes, FALSE);
  text = normalise_owned (text, len, &len);
  *len_out = len;
  return text;
}

/* Text of a text part, converted to UTF-8 from its declared charset (or,
 * undeclared and not UTF-8, from the first fallback charset that fits).
 * NUL bytes become spaces: quoted-printable "=00" occurs in real notices,
 * and a NUL would cut the text short in every string function after us. */
static char *
part_text (GMimeObject *object, gsize *len_out)
{
  gsize len;
  g_autofree char *raw = bounce_view_part_content (object, &len);
  const char *charset = g_mime_object_get_content_type_parameter (object, "charset");
  g_autofree char *utf8 = NULL;

  for (gsize i = 0; i < len; i++)
    if (raw[i] == '\0')
      raw[i] = ' ';
  if (charset != NULL && g_ascii_strcasecmp (charset, "utf-8") != 0
      && g_ascii_strcasecmp (charset, "us-ascii") != 0)
    {
      /* GMime keeps a cache of iconv descriptors: opening one per part
       * (g_convert) loads conversion modules again every time. */
      iconv_t cd = g_mime_iconv_open ("UTF-8", charset);

      if (cd != (iconv_t) -1)
        {
          utf8 = g_mime_iconv_strndup (cd, raw, len);
          g_mime_iconv_close (cd);
          if (utf8 != NULL)
            {
              gsize n = strlen (utf8);
              return normalise_owned (g_steal_pointer (&utf8), n, len_out);
            }
        }
    }
  if (g_utf8_validate_len (raw, len, NULL))
    {
      *len_out = len;
      return g_steal_pointer (&raw);
    }
  utf8 = g_mime_utils_decode_8bit (parser_options, raw, len);
  len = strlen (utf8);
  return normalise_owned (g_steal_pointer (&utf8), len, len_out);
}

/* Walks @object (at MIME depth @depth) into @v: the parts that decide what
 * the message is, and the notice's text and HTML parts.  FALSE (with
 * @error_out set) past a limit of v->settings; the walk stops there. */
static gboolean
walk (BounceView *v, GMimeObject *object, guint depth, GError **error_out)
{
  GMimeContentType *ct = g_mime_object_get_content_type (object);
  const char *type = ct ? g_mime_content_type_get_media_type (ct) : "text";
  const char *subtype = ct ? g_mime_content_type_get_media_subtype (ct) : "plain";

  if (depth > v->settings->max_mime_depth)
    {
      g_set_error (error_out, BOUNCE_PARSE_ERROR, BOUNCE_PARSE_ERROR_TOO_LARGE,
                   "MIME structure is nested deeper than %u levels",
                   v->settings->max_mime_depth);
      return FALSE;
    }

  if (GMIME_IS_MULTIPART (object))
    {
      GMimeMultipart *mp = GMIME_MULTIPART (object);
      int n = g_mime_multipart_get_count (mp);

      if (g_ascii_strcasecmp (subtype, "report") == 0 && !v->in_report)
        {
          const char *report_type = g_mime_content_type_get_parameter (ct, "report-type");

          v->in_report = TRUE;
          /* Blanks around it are no part of it; all blanks is none. */
          if (report_type != NULL)
            {
              v->priv.report_type = g_strstrip (g_strdup (report_type));
              if (v->priv.report_type[0] == '\0')
                g_clear_pointer (&v->priv.report_type, g_free);
              v->report_type = v->priv.report_type;
            }
        }
      /* The pre-scan bounds the parts before GMime builds them; this is the
       * same limit counted on what was built. */
      v->priv.parts += (guint) MAX (n, 0);
      if (v->priv.parts > v->settings->max_mime_parts)
        {
          g_set_error (error_out, BOUNCE_PARSE_ERROR, BOUNCE_PARSE_ERROR_TOO_LARGE,
                       "MIME structure has more than %u parts", v->settings->max_mime_parts);
          return FALSE;
        }
      for (int i = 0; i < n; i++)
        if (!walk (v, g_mime_multipart_get_part (mp, i), depth + 1, error_out))
          return FALSE;
      /* A multipart whose boundary never occurs (lines stripped by a relay,
       * a boundary parameter lost to a broken fold) has no parts: GMime
       * keeps its whole text as the prologue, and that is the notice. */
      if (n == 0 && g_mime_multipart_get_prologue (mp) != NULL)
        {
          const char *prologue = g_mime_multipart_get_prologue (mp);
          gsize len;
          g_autofree char *text = normalise_line_ends (prologue, strlen (prologue), &len);

          if (v->priv.body->len > 0)
            g_string_append_c (v->priv.body, '\n');
          g_string_append_len (v->priv.body, text, (gssize) len);
        }
      return TRUE;
    }

  if (GMIME_IS_MESSAGE_PART (object))
    {
      GMimeMessage *inner = g_mime_message_part_get_message (GMIME_MESSAGE_PART (object));

      /* The first message/rfc822 is the returned message; we do not walk
       * into it: its text is not the notice's. */
      if (inner != NULL && v->returned_message == NULL)
        v->returned_message = inner;
      return TRUE;
    }

  if (g_ascii_strcasecmp (type, "message") == 0)
    {
      /* RFC 6532 section 3.7 lets message/global be base64 or
       * quoted-printable encoded (and some MTAs encode message/rfc822 too,
       * against RFC 2046 5.2.1); GMime leaves such a part a leaf.  Decode
       * it and read it as the returned message, within the depth limit. */
      if ((g_ascii_strcasecmp (subtype, "global") == 0
           || g_ascii_strcasecmp (subtype, "rfc822") == 0) && GMIME_IS_PART (object))
        {
          gsize len;
          g_autofree char *content = NULL;
          g_autoptr(GMimeStream) stream = NULL;
          g_autoptr(GMimeParser) parser = NULL;

          if (v->returned_message != NULL)
            return TRUE;
          content = bounce_view_part_content (object, &len);
          if (!structure_check (content, len, v->settings, depth, v->priv.parts, error_out))
            return FALSE;
          stream = g_mime_stream_mem_new_with_buffer (content, len);
          parser = g_mime_parser_new_with_stream (stream);
          g_mime_parser_set_format (parser, GMIME_FORMAT_MESSAGE);
          v->priv.returned_decoded = g_mime_parser_construct_message (parser, parser_options);
          v->returned_message = v->priv.returned_decoded;
          return TRUE;
        }
      if (g_ascii_strcasecmp (subtype, "delivery-status") == 0
          || g_ascii_strcasecmp (subtype, "global-delivery-status") == 0)
        {
          if (v->status_part == NULL)
            v->status_part = object;
          return TRUE;
        }
      if (g_ascii_strcasecmp (subtype, "feedback-report") == 0)
        {
          if (v->feedback_part == NULL)
            v->feedback_part = object;
          return TRUE;
        }
      if (g_ascii_strcasecmp (subtype, "rfc822-headers") == 0
          || g_ascii_strcasecmp (subtype, "global-headers") == 0)
        {
          if (v->returned_headers == NULL)
            v->returned_headers = object;
          return TRUE;
        }
    }

  if (g_ascii_strcasecmp (type, "text") == 0)
    {
      gsize len;
      g_autofree char *text = NULL;

      if (g_ascii_strcasecmp (subtype, "rfc822-headers") == 0)
        {
          if (v->returned_headers == NULL)
            v->returned_headers = object;
          return TRUE;
        }
      /* A status part mislabelled text/plain, inside a report (RFC 6522 says
       * the second part; broken MTAs label it text/plain). */
      if (v->status_part == NULL && v->in_report && v->priv.texts->len > 0)
        {
          text = bounce_view_part_content (object, &len);
          if (dsn_fields_sniff (text, len))
            {
              v->status_part = object;
              return TRUE;
            }
        }
      g_ptr_array_add (g_ascii_strcasecmp (subtype, "html") == 0 ? v->priv.htmls : v->priv.texts,
                       object);
    }
  return TRUE;
}

/* Tags after which HTML starts a new line (<br>) or a new paragraph (block
 * ends): the text keeps the layout a plain-text notice would have, so that
 * the recognisers read both alike ("pat@b<br>mx.b<br>Remote Server
 * returned '...'" is one paragraph, "</p><p>" a blank line between two). */
static const char *const html_line_tags[] = { "br", "li", "tr", "dt", "dd" };
static const char *const html_block_tags[] = {
  "p", "div", "table", "ul", "ol", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
  "blockquote", "pre", "address",
};

/* Whether the tag at @tag (after '<' and an optional '/', @len bytes up to
 * '>') is one of @names. */
static gboolean
html_tag_is (const char *tag, gsize len, const char *const *names, gsize n)
{
  for (gsize k = 0; k < n; k++)
    {
      gsize nl = strlen (names[k]);
      if (len >= nl && g_ascii_strncasecmp (tag, names[k], nl) == 0
          && (len == nl || !g_ascii_isalnum (tag[nl])))
        return TRUE;
    }
  return FALSE;
}

/* Appends @c unless it would start a line with blanks or double one. */
static void
html_append_space (GString *out)
{
  if (out->len > 0 && out->str[out->len - 1] != ' ' && out->str[out->len - 1] != '\n')
    g_string_append_c (out, ' ');
}

/* Ends the current line; @blank leaves an empty line after it (at most one). */
static void
html_append_break (GString *out, gboolean blank)
{
  while (out->len > 0 && out->str[out->len - 1] == ' ')
    g_string_truncate (out, out->len - 1);
  if (out->len == 0)
    return;
  if (out->str[out->len - 1] != '\n')
    g_string_append_c (out, '\n');
  if (blank && (out->len < 2 || out->str[out->len - 2] != '\n'))
    g_string_append_c (out, '\n');
}

/* HTML to text for notices sent as HTML only (Exchange, Domino, providers):
 * tags dropped, whitespace collapsed as a browser does (but kept in
 * <pre>), line and paragraph breaks from the tags above, <style> and
 * <script> skipped, named entities of mail notices and numeric ones
 * decoded. */
static void
html_to_text (GString *out, const char *html, gsize len)
{
  static const struct { const char *entity; const char *text; } entities[] = {
    { "&lt;", "<" }, { "&gt;", ">" }, { "&amp;", "&" }, { "&quot;", "\"" },
    { "&nbsp;", " " }, { "&apos;", "'" }, { "&ndash;", "-" }, { "&mdash;", "-" },
    { "&laquo;", "\"" }, { "&raquo;", "\"" }, { "&rsquo;", "'" }, { "&lsquo;", "'" },
    { "&rdquo;", "\"" }, { "&ldquo;", "\"" }, { "&hellip;", "..." },
  };
  guint pre = 0;

  for (gsize i = 0; i < len; i++)
    {
      if (html[i] == '<')
        {
          const char *end = memchr (html + i, '>', len - i);
          const char *tag = html + i + 1;
          gboolean closing;
          gsize tlen;

          if (end == NULL)
            break;
          closing = tag < end && *tag == '/';
          if (closing)
            tag++;
          tlen = (gsize) (end - tag);
          if (tlen >= 3 && strncmp (tag, "!--", 3) == 0)
            {
              const char *close = bounce_text_find (tag, (gssize) (len - (gsize) (tag - html)), "-->");
              if (close == NULL)
                break;
              i = (gsize) (close - html) + 2;
              continue;
            }
          if (html_tag_is (tag, tlen, html_line_tags, G_N_ELEMENTS (html_line_tags)))
            html_append_break (out, FALSE);
          else if (html_tag_is (tag, tlen, html_block_tags, G_N_ELEMENTS (html_block_tags)))
            html_append_break (out, TRUE);
          else if (closing && tlen >= 2 && (g_ascii_strncasecmp (tag, "td", 2) == 0
                                            || g_ascii_strncasecmp (tag, "th", 2) == 0))
            html_append_space (out);
          if (tlen >= 3 && g_ascii_strncasecmp (tag, "pre", 3) == 0
              && (tlen == 3 || !g_ascii_isalnum (tag[3])))
            pre = closing ? (pre > 0 ? pre - 1 : 0) : pre + 1;
          if (!closing && ((tlen >= 5 && g_ascii_strncasecmp (tag, "style", 5) == 0)
                           || (tlen >= 6 && g_ascii_strncasecmp (tag, "script", 6) == 0)))
            {
              const char *close = bounce_text_find (end, (gssize) (len - (gsize) (end - html)),
                                                    g_ascii_tolower (tag[1]) == 't'
                                                    ? "</style" : "</script");
              if (close == NULL)
                break;
              end = memchr (close, '>', len - (gsize) (close - html));
              if (end == NULL)
                break;
            }
          i = (gsize) (end - html);
          continue;
        }
      if (html[i] == '&')
        {
          gboolean done = FALSE;

          if (i + 2 < len && html[i + 1] == '#')
            {
              gsize k = i + 2;
              gboolean hex = k < len && (html[k] == 'x' || html[k] == 'X');
              gunichar c = 0;
              gsize digits = 0;

              if (hex)
                k++;
              while (k < len && digits < 8 && (hex ? g_ascii_isxdigit (html[k]) : g_ascii_isdigit (html[k])))
                {
                  c = c * (hex ? 16 : 10) + (gunichar) (hex ? g_ascii_xdigit_value (html[k])
                                                            : g_ascii_digit_value (html[k]));
                  k++, digits++;
                }
              if (digits > 0 && k < len && html[k] == ';' && g_unichar_validate (c) && c != 0)
                {
                  if (c == 0xA0)
                    html_append_space (out);
                  else
                    g_string_append_unichar (out, c);
                  i = k;
                  continue;
                }
            }
          for (gsize e = 0; e < G_N_ELEMENTS (entities); e++)
            {
              gsize elen = strlen (entities[e].entity);
              if (i + elen <= len && g_ascii_strncasecmp (html + i, entities[e].entity, elen) == 0)
                {
                  if (entities[e].text[0] == ' ')
                    html_append_space (out);
                  else
                    g_string_append (out, entities[e].text);
                  i += elen - 1;
                  done = TRUE;
                  break;
                }
            }
          if (done)
            continue;
        }
      if (pre == 0 && (html[i] == ' ' || html[i] == '\t' || html[i] == '\n' || html[i] == '\r'))
        {
          html_append_space (out);
          continue;
        }
      g_string_append_c (out, html[i]);
    }
  html_append_break (out, FALSE);
}

/* ---- the copy of the returned message in the notice's text ------------- */

/* Markers that introduce the copy of the returned message in a notice. */
static const char *const returned_markers[] = {
  "------ This is a copy of the message",
  "--- Below this line is a copy of the message",
  "----- Original message -----",
  "------ Original message ------",
  "-----Original Message-----",
  "--- The header of the original message is following",
  "------ The message header follows",
  "----- Transcript of session follows -----\n\n\n",
  "Original message follows",
  "original message follows",
  "The original message was",
  "Original message headers:",
  "----- Unsent message follows -----",
  "------ Failed message follows",
  "--- Original message follows",
  "Content-Type: message/rfc822",
  "   ----- Original message -----",
  "Message text follows:",
  "------- Returned Message --------",
  "--- Enclosed is a copy of the message.",
  "Original mail as follows:",
  "-------original message",
  "Message headers follow.",
  "Included is a copy of the message header",
  "----- This is a copy of the message",
  "Below is a copy of the original message",
};

static gpointer
returned_markers_build (gpointer unused)
{
  return phrase_set_new (returned_markers, G_N_ELEMENTS (returned_markers));
}

const char *
bounce_view_returned_marker (const BounceView *view, const char *from)
{
  /* The earliest of the markers, in one pass over the text (phrase-set.c),
   * not one per marker; built once per process, read by every thread. */
  static GOnce once = G_ONCE_INIT;
  const PhraseSet *markers = g_once (&once, returned_markers_build, NULL);

  return phrase_set_find (markers, from, view->body_len - (gsize) (from - view->body), NULL);
}

const char *
bounce_view_returned_copy (const BounceView *view)
{
  /* Asked by several recognisers of one notice: searched once. */
  if (!view->memo->returned_copy_known)
    {
      view->memo->returned_copy = bounce_view_returned_marker (view, view->body);
      view->memo->returned_copy_known = TRUE;
    }
  return view->memo->returned_copy;
}

/* ---- the view ------------------------------------------------------------ */

static char *
decoded_header (GMimeObject *object, const char *name)
{
  const char *raw = g_mime_object_get_header (object, name);
  g_autofree char *text = NULL;

  if (raw == NULL)
    return g_strdup ("");
  text = g_mime_utils_header_decode_text (parser_options, raw);
  return bounce_text_collapse (text, -1) ?: g_strdup ("");
}

gboolean
bounce_view_init (BounceView *view, const char *data, gsize length,
                  const BounceSettings *settings, GError **error_out)
{
  g_autofree char *text = NULL;
  gsize len;
  GMimeMessage *message;

  g_return_val_if_fail (view != NULL && settings != NULL, FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);

  *view = (BounceView) { .settings = settings };
  if (length > settings->max_message_size)
    {
      g_set_error (error_out, BOUNCE_PARSE_ERROR, BOUNCE_PARSE_ERROR_TOO_LARGE,
                   "message of %" G_GSIZE_FORMAT " bytes exceeds the limit of %"
                   G_GSIZE_FORMAT " bytes", length, settings->max_message_size);
      return FALSE;
    }
  bounce_view_init_gmime ();

  /* Most mail on disk has LF ends already: then GMime reads the caller's
   * bytes in place, no copy made (the array is let go, not freed, at
   * bounce_view_clear()). */
  if (length > 0 && memchr (data, '\r', length) == NULL)
    {
      if (!structure_check (data, length, settings, 0, 0, error_out))
        return FALSE;
      view->priv.source = g_byte_array_new_take ((guint8 *) data, length);
      view->priv.source_borrowed = TRUE;
    }
  else
    {
      text = normalise_line_ends (data ? data : "", length, &len);
      if (!structure_check (text, len, settings, 0, 0, error_out))
        return FALSE;
      view->priv.source = g_byte_array_new_take ((guint8 *) g_steal_pointer (&text), len);
    }

  /* The stream reads the buffer in place (no copy); it does not own it. */
  view->priv.stream = g_mime_stream_mem_new_with_byte_array (view->priv.source);
  g_mime_stream_mem_set_owner (GMIME_STREAM_MEM (view->priv.stream), FALSE);
  view->priv.parser = g_mime_parser_new_with_stream (view->priv.stream);
  g_mime_parser_set_format (view->priv.parser, GMIME_FORMAT_MESSAGE);
  message = g_mime_parser_construct_message (view->priv.parser, parser_options);
  if (message == NULL || g_mime_header_list_get_count (GMIME_OBJECT (message)->headers) == 0)
    {
      g_clear_object (&message);
      return TRUE;
    }
  view->message = message;

  view->priv.from = decoded_header (GMIME_OBJECT (message), "From");
  view->priv.subject = decoded_header (GMIME_OBJECT (message), "Subject");
  view->from = view->priv.from;
  view->subject = view->priv.subject;

  view->priv.body = g_string_new (NULL);
  view->memo = g_new0 (BounceViewMemo, 1);
  view->priv.texts = g_ptr_array_new ();
  view->priv.htmls = g_ptr_array_new ();
  if (g_mime_message_get_mime_part (message) != NULL
      && !walk (view, g_mime_message_get_mime_part (message), 1, error_out))
    return FALSE;

  /* A status part mislabelled text/plain may also come first, where RFC
   * 6522 puts the notice: only when the report has no other status part is
   * the first text part read as one (and then it is not the notice). */
  if (view->status_part == NULL && view->in_report && view->priv.texts->len > 0
      && (view->report_type == NULL || g_ascii_strcasecmp (view->report_type, "feedback-report") != 0))
    {
      gsize flen;
      g_autofree char *first = bounce_view_part_content (g_ptr_array_index (view->priv.texts, 0),
                                                         &flen);

      if (dsn_fields_sniff (first, flen))
        view->status_part = g_ptr_array_steal_index (view->priv.texts, 0);
    }
  return TRUE;
}

void
bounce_view_clear (BounceView *view)
{
  if (view == NULL)
    return;
  /* GMime's objects before the bytes they read in place. */
  g_clear_object (&view->priv.returned_decoded);
  g_clear_object (&view->message);
  g_clear_object (&view->priv.parser);
  g_clear_object (&view->priv.stream);
  if (view->priv.source != NULL && view->priv.source_borrowed)
    g_byte_array_free (g_steal_pointer (&view->priv.source), FALSE);
  g_clear_pointer (&view->priv.source, g_byte_array_unref);
  g_clear_pointer (&view->priv.from, g_free);
  g_clear_pointer (&view->priv.subject, g_free);
  g_clear_pointer (&view->priv.report_type, g_free);
  g_clear_pointer (&view->priv.returned, g_free);
  g_clear_pointer (&view->priv.texts, g_ptr_array_unref);
  g_clear_pointer (&view->priv.htmls, g_ptr_array_unref);
  g_clear_pointer (&view->memo, g_free);
  if (view->priv.body != NULL)
    g_string_free (g_steal_pointer (&view->priv.body), TRUE);
  *view = (BounceView) { 0 };
}

/* Built only when a decision needs it: most DSNs are read from their
 * status part alone, and charset conversion is a good part of the cost of
 * a message (invariant 3). */
void
bounce_view_ensure_body (BounceView *view)
{
  GString *body = view->priv.body;

  if (view->priv.body_built || body == NULL)
    return;
  view->priv.body_built = TRUE;
  for (guint i = 0; i < view->priv.texts->len; i++)
    {
      gsize len;
      g_autofree char *text = part_text (g_ptr_array_index (view->priv.texts, i), &len);

      if (body->len > 0)
        g_string_append_c (body, '\n');
      g_string_append_len (body, text, (gssize) len);
    }
  if (body->len == 0)
    for (guint i = 0; i < view->priv.htmls->len; i++)
      {
        gsize len;
        g_autofree char *html = part_text (g_ptr_array_index (view->priv.htmls, i), &len);

        if (body->len > 0)
          g_string_append_c (body, '\n');
        html_to_text (body, html, len);
      }
  view->body = body->str;
  view->body_len = body->len;
}

void
bounce_view_ensure_returned (BounceView *view)
{
  g_autofree char *text = NULL;

  if (view->returned != NULL || view->returned_message == NULL)
    return;
  text = g_mime_object_to_string (GMIME_OBJECT (view->returned_message), NULL);
  if (text != NULL)
    {
      gsize len = strlen (text);

      view->priv.returned = normalise_owned (g_steal_pointer (&text), len, &view->returned_len);
      view->returned = view->priv.returned;
    }
}

const char *
bounce_view_header (const BounceView *view, const char *name)
{
  return g_mime_object_get_header (GMIME_OBJECT (view->message), name);
}

gboolean
bounce_view_is_feedback (const BounceView *view)
{
  return view->in_report && view->report_type != NULL
         && g_ascii_strcasecmp (view->report_type, "feedback-report") == 0
         && view->feedback_part != NULL;
}

char *
bounce_view_status_text (const BounceView *view, gsize *len_out)
{
  /* A status part mislabelled text/plain may declare an 8-bit charset
   * (message/delivery-status is ASCII, the global one UTF-8). */
  return GMIME_IS_TEXT_PART (view->status_part)
         ? part_text (view->status_part, len_out)
         : bounce_view_part_content (view->status_part, len_out);
}

void
bounce_view_describe (const BounceView *view, BounceReport *report)
{
  report->message_from = bounce_report_str (report, view->from);
  report->message_subject = bounce_report_str (report, view->subject);
  report->message_date_text = bounce_report_str (report, bounce_view_header (view, "Date"));
  {
    g_autofree char *utc = bounce_text_date_utc (report->message_date_text);
    report->message_date = bounce_report_str (report, utc);
  }

  if (view->returned_message != NULL)
    original_from_message (report, view->returned_message, view->settings);
  if (view->returned_headers != NULL)
    {
      gsize len;
      g_autofree char *text = bounce_view_part_content (view->returned_headers, &len);
      const char *charset = g_mime_object_get_content_type_parameter (view->returned_headers,
                                                                      "charset");

      /* Raw 8-bit headers in the charset the part declares (RFC 6522
       * text/rfc822-headers may carry one): to UTF-8 before parsing. */
      if (charset != NULL && !g_utf8_validate (text, (gssize) len, NULL))
        {
          gsize converted_len;
          char *converted = g_convert (text, (gssize) len, "UTF-8",
                                       g_mime_charset_iconv_name (charset),
                                       NULL, &converted_len, NULL);
          if (converted != NULL)
            {
              g_free (text);
              text = converted;
              len = converted_len;
            }
        }
      original_from_text (report, text, len, view->settings);
    }
}
