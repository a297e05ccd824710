/* bounce-parse.c - the parse entry point: bytes in, a report out
 *
 * Implements the decision of what a message is (README "How a message is
 * read"):
 *   1. RFC 6522 multipart/report; report-type=delivery-status (or RFC 6533
 *      global-delivery-status): a DSN, read by dsn-fields.c.  A status part
 *      may be labelled text/plain, be base64 or quoted-printable, and need
 *      not be the second part; a delivery-status part outside a report is
 *      accepted too.
 *   2. report-type=feedback-report (RFC 5965): a feedback report.
 *   3. an RFC 3834 auto-reply that is not a mailer-daemon notice.
 *   4. a mailer-daemon notice in plain text: a legacy bounce (legacy.c).
 *   5. anything else: not a bounce.
 *
 * Invariants:
 *  1. Nothing past settings->max_message_size is read; MIME nesting deeper
 *     than settings->max_mime_depth is refused before GMime recurses into it
 *     (GMime's parser is recursive: unbounded depth would exhaust the stack),
 *     and more than settings->max_mime_parts parts before GMime builds them
 *     (each part costs GMime about a kilobyte and a half, whatever its size:
 *     a few megabytes of empty parts would take gigabytes).
 *  2. LF, CRLF and CR line ends give the same report: input is normalised to
 *     LF before anything looks at it, and decoded parts are normalised again.
 *  3. Malformed mail never fails the call: it yields a report (kind error
 *     when nothing at all can be read).
 */
#include "bounce-private.h"

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

static void
ensure_gmime (void)
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

typedef struct {
  BounceReport *report;
  const BounceSettings *settings;
  GMimeObject *status_part;     /* message/delivery-status or look-alike */
  GMimeObject *feedback_part;   /* message/feedback-report */
  GMimeMessage *returned;       /* message/rfc822 */
  GMimeObject *returned_headers; /* text/rfc822-headers */
  GMimeMessage *returned_decoded; /* owned: an encoded returned message */
  gboolean in_report;           /* a multipart/report was seen */
  const char *report_type;
  GPtrArray *texts;             /* text parts of the notice (borrowed) */
  GPtrArray *htmls;             /* its html parts, used when no text part */
  GString *body;                /* their text, built on demand (ensure_body) */
  gboolean body_built;
  guint parts;                  /* parts of the multiparts walked so far */
  GError **error;
  gboolean failed;
} Walk;

/* Decoded content of a leaf part (transfer encoding removed), LF line ends. */
static char *
part_content (GMimeObject *object, gsize *len_out)
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
  bytes = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (mem));
  text = normalise_line_ends ((const char *) bytes->data, bytes->len, &len);
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
  g_autofree char *raw = part_content (object, &len);
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
            return normalise_line_ends (utf8, strlen (utf8), len_out);
        }
    }
  if (g_utf8_validate_len (raw, len, NULL))
    {
      *len_out = len;
      return g_steal_pointer (&raw);
    }
  utf8 = g_mime_utils_decode_8bit (parser_options, raw, len);
  return normalise_line_ends (utf8, strlen (utf8), len_out);
}

static void
walk (Walk *w, GMimeObject *object, guint depth)
{
  GMimeContentType *ct = g_mime_object_get_content_type (object);
  const char *type = ct ? g_mime_content_type_get_media_type (ct) : "text";
  const char *subtype = ct ? g_mime_content_type_get_media_subtype (ct) : "plain";

  if (w->failed)
    return;
  if (depth > w->settings->max_mime_depth)
    {
      g_set_error (w->error, BOUNCE_PARSE_ERROR, BOUNCE_PARSE_ERROR_TOO_LARGE,
                   "MIME structure is nested deeper than %u levels",
                   w->settings->max_mime_depth);
      w->failed = TRUE;
      return;
    }

  if (GMIME_IS_MULTIPART (object))
    {
      GMimeMultipart *mp = GMIME_MULTIPART (object);
      int n = g_mime_multipart_get_count (mp);

      if (g_ascii_strcasecmp (subtype, "report") == 0 && !w->in_report)
        {
          w->in_report = TRUE;
          w->report_type = bounce_report_str (w->report,
                                              g_mime_content_type_get_parameter (ct, "report-type"));
        }
      /* The pre-scan bounds the parts before GMime builds them; this is the
       * same limit counted on what was built. */
      w->parts += (guint) MAX (n, 0);
      if (w->parts > w->settings->max_mime_parts)
        {
          g_set_error (w->error, BOUNCE_PARSE_ERROR, BOUNCE_PARSE_ERROR_TOO_LARGE,
                       "MIME structure has more than %u parts", w->settings->max_mime_parts);
          w->failed = TRUE;
          return;
        }
      for (int i = 0; i < n; i++)
        walk (w, g_mime_multipart_get_part (mp, i), depth + 1);
      /* A multipart whose boundary never occurs (lines stripped by a relay,
       * a boundary parameter lost to a broken fold) has no parts: GMime
       * keeps its whole text as the prologue, and that is the notice. */
      if (n == 0 && g_mime_multipart_get_prologue (mp) != NULL)
        {
          const char *prologue = g_mime_multipart_get_prologue (mp);
          gsize len;
          g_autofree char *text = normalise_line_ends (prologue, strlen (prologue), &len);

          if (w->body->len > 0)
            g_string_append_c (w->body, '\n');
          g_string_append_len (w->body, text, (gssize) len);
        }
      return;
    }

  if (GMIME_IS_MESSAGE_PART (object))
    {
      GMimeMessage *inner = g_mime_message_part_get_message (GMIME_MESSAGE_PART (object));

      /* The first message/rfc822 is the returned message; we do not walk
       * into it: its text is not the notice's. */
      if (inner != NULL && w->returned == NULL)
        w->returned = inner;
      return;
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

          if (w->returned != NULL)
            return;
          content = part_content (object, &len);
          if (!structure_check (content, len, w->settings, depth, w->parts, w->error))
            {
              w->failed = TRUE;
              return;
            }
          stream = g_mime_stream_mem_new_with_buffer (content, len);
          parser = g_mime_parser_new_with_stream (stream);
          g_mime_parser_set_format (parser, GMIME_FORMAT_MESSAGE);
          w->returned_decoded = g_mime_parser_construct_message (parser, parser_options);
          w->returned = w->returned_decoded;
          return;
        }
      if (g_ascii_strcasecmp (subtype, "delivery-status") == 0
          || g_ascii_strcasecmp (subtype, "global-delivery-status") == 0)
        {
          if (w->status_part == NULL)
            w->status_part = object;
          return;
        }
      if (g_ascii_strcasecmp (subtype, "feedback-report") == 0)
        {
          if (w->feedback_part == NULL)
            w->feedback_part = object;
          return;
        }
      if (g_ascii_strcasecmp (subtype, "rfc822-headers") == 0
          || g_ascii_strcasecmp (subtype, "global-headers") == 0)
        {
          if (w->returned_headers == NULL)
            w->returned_headers = object;
          return;
        }
    }

  if (g_ascii_strcasecmp (type, "text") == 0)
    {
      gsize len;
      g_autofree char *text = NULL;

      if (g_ascii_strcasecmp (subtype, "rfc822-headers") == 0)
        {
          if (w->returned_headers == NULL)
            w->returned_headers = object;
          return;
        }
      /* A status part mislabelled text/plain, inside a report (RFC 6522 says
       * the second part; broken MTAs label it text/plain). */
      if (w->status_part == NULL && w->in_report && w->texts->len > 0)
        {
          text = part_content (object, &len);
          if (dsn_fields_sniff (text, len))
            {
              w->status_part = object;
              return;
            }
        }
      g_ptr_array_add (g_ascii_strcasecmp (subtype, "html") == 0 ? w->htmls : w->texts, object);
    }
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

/* The text of the notice: its text parts converted to UTF-8 from their
 * charsets, or its HTML parts as text when it has no text part.  Built only
 * when a decision needs it: most DSNs are read from their status part alone,
 * and charset conversion is a good part of the cost of a message. */
static void
ensure_body (Walk *w)
{
  if (w->body_built)
    return;
  w->body_built = TRUE;
  for (guint i = 0; i < w->texts->len; i++)
    {
      gsize len;
      g_autofree char *text = part_text (g_ptr_array_index (w->texts, i), &len);

      if (w->body->len > 0)
        g_string_append_c (w->body, '\n');
      g_string_append_len (w->body, text, (gssize) len);
    }
  if (w->body->len > 0)
    return;
  for (guint i = 0; i < w->htmls->len; i++)
    {
      gsize len;
      g_autofree char *html = part_text (g_ptr_array_index (w->htmls, i), &len);

      if (w->body->len > 0)
        g_string_append_c (w->body, '\n');
      html_to_text (w->body, html, len);
    }
}

const char *
bounce_view_header (const BounceView *view, const char *name)
{
  return g_mime_object_get_header (GMIME_OBJECT (view->message), name);
}

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

/* ---- feedback reports (RFC 5965) ----------------------------------------- */

/* RFC 5965 section 3.1/3.2 fields of message/feedback-report.  The reported
 * recipient is Original-Rcpt-To (3.2, optional); without it, the To of the
 * returned message. */
static void
read_feedback (Walk *w)
{
  BounceReport *report = w->report;
  BounceRecipient *rcpt;
  gsize len;
  g_autofree char *text = part_content (w->feedback_part, &len);
  g_autofree char *feedback_type = NULL;
  g_autofree char *rcpt_to = NULL;
  g_autoptr(GPtrArray) rcpts = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *source_ip = NULL;
  g_autofree char *reporting = NULL;
  const char *line;
  gsize line_len, pos = 0;

  while (bounce_text_next_line (text, len, &pos, &line, &line_len))
    {
      const char *colon = memchr (line, ':', line_len);
      g_autofree char *value = NULL;
      gsize name_len;

      if (colon == NULL)
        continue;
      name_len = (gsize) (colon - line);
      value = bounce_text_collapse (colon + 1, (gssize) (line_len - name_len - 1));
      if (value == NULL)
        continue;
      if (name_len == 13 && g_ascii_strncasecmp (line, "Feedback-Type", 13) == 0 && !feedback_type)
        feedback_type = g_ascii_strdown (value, -1);
      /* RFC 5965 3.2: Original-Rcpt-To may appear more than once, one
       * reported recipient each. */
      else if (name_len == 16 && g_ascii_strncasecmp (line, "Original-Rcpt-To", 16) == 0)
        {
          char *addr = bounce_text_address (value, -1);
          if (addr != NULL)
            g_ptr_array_add (rcpts, addr);
        }
      /* Removal-Recipient: the recipient field of the ARF drafts (version
       * 0.1) that some feedback loops still send. */
      else if (name_len == 17 && g_ascii_strncasecmp (line, "Removal-Recipient", 17) == 0 && !rcpt_to)
        rcpt_to = bounce_text_address (value, -1);
      else if (name_len == 13 && g_ascii_strncasecmp (line, "Reporting-MTA", 13) == 0 && !reporting)
        reporting = g_strdup (value);
      else if (name_len == 9 && g_ascii_strncasecmp (line, "Source-IP", 9) == 0 && !source_ip)
        source_ip = g_strdup (value);
      else if (name_len > 2 && (line[0] == 'X' || line[0] == 'x') && line[1] == '-')
        {
          g_autofree char *name = g_strndup (line, name_len);
          bounce_report_add_field (report, report->extensions, name, value);
        }
    }

  report->kind = BOUNCE_KIND_FEEDBACK;
  report->format = "arf";
  if (reporting != NULL)
    {
      const char *semi = strchr (reporting, ';');
      report->reporting_mta = bounce_report_str (report, semi ? semi + 1 : reporting);
    }
  if (rcpt_to == NULL && report->original.to != NULL)
    rcpt_to = bounce_text_address (report->original.to, -1);
  if (rcpts->len == 0 && rcpt_to != NULL)
    g_ptr_array_add (rcpts, g_steal_pointer (&rcpt_to));
  if (rcpts->len > 0)
    {
      g_autofree char *body = NULL;
      const char *diagnostic;

      /* The report's own words, once: the same for every recipient. */
      ensure_body (w);
      body = bounce_text_collapse (w->body->str, (gssize) MIN (w->body->len, 64 * 1024));
      if (body && strlen (body) > 1000)
        {
          gsize cut = 1000;
          while (cut > 0 && ((unsigned char) body[cut] & 0xC0) == 0x80)
            cut--;
          body[cut] = '\0';
        }
      diagnostic = bounce_report_str (report, body);
      for (guint i = 0; i < rcpts->len; i++)
        {
          if (bounce_report_find_recipient (report, g_ptr_array_index (rcpts, i)) != NULL)
            continue;
          if ((rcpt = bounce_report_add_recipient (report)) == NULL)
            break;
          rcpt->recipient = bounce_report_str (report, g_ptr_array_index (rcpts, i));
          rcpt->feedback_type = bounce_report_str (report, feedback_type ? feedback_type : "other");
          rcpt->remote_mta = bounce_report_str (report, source_ip);
          rcpt->diagnostic = diagnostic;
        }
    }
}

/* ---- where the notice names an address ----------------------------------- */

/* A notice of many recipients is searched for each of them: with one scan
 * of the text per recipient, that is quadratic (10,000 recipients in a
 * megabyte of text took a minute).  From this many recipients on, the
 * address words of the text are indexed once instead (BounceWordIndex). */
#define NOTICE_INDEX_MIN_RECIPIENTS 8

static void
notice_index_init (BounceWordIndex *index, const char *body, gsize len, guint recipients)
{
  if (recipients >= NOTICE_INDEX_MIN_RECIPIENTS)
    bounce_word_index_init (index, body, len);
  else
    *index = (BounceWordIndex) { .text = body, .len = len };
}

/* ---- diagnostics from the human-readable part --------------------------- */

#define NOTICE_TEXT_MAX_LINES 6

/* Whether @text says something a diagnostic would: a code or some words. */
static gboolean
has_codes (const char *text)
{
  char code[16];

  return text != NULL && (dsn_status_find (text, code) || dsn_status_find_reply_code (text, code));
}

/* The text that a notice gives for @address: the rest of the line that names
 * it or, when that is empty, the lines that follow up to a blank line. */
static char *
notice_text_for (const BounceWordIndex *index, const char *address)
{
  const char *body = index->text;
  gsize len = index->len;
  const char *p = body;
  gsize alen = strlen (address);
  g_autofree char *first = NULL;

  while ((p = bounce_word_index_find (index, p, address)) != NULL)
    {
      const char *rest = p + alen;
      const char *eol = memchr (rest, '\n', len - (gsize) (rest - body));
      g_autoptr(GString) text = g_string_new (NULL);

      if (eol == NULL)
        eol = body + len;
      while (rest < eol && strchr (">]):;,. \t\"'", *rest) != NULL)
        rest++;
      g_string_append_len (text, rest, eol - rest);
      if (text->len >= 4)
        {
          /* Indented lines that follow continue the text (Postfix folds the
           * server's answer this way). */
          gsize pos = eol < body + len ? (gsize) (eol - body) + 1 : len;
          const char *line;
          gsize line_len;

          for (int n = 0; n < NOTICE_TEXT_MAX_LINES
               && bounce_text_next_line (body, len, &pos, &line, &line_len)
               && line_len > 0 && (line[0] == ' ' || line[0] == '\t'); n++)
            {
              g_string_append_c (text, ' ');
              g_string_append_len (text, line, (gssize) line_len);
            }
        }
      else
        {
          gsize pos = eol < body + len ? (gsize) (eol - body) + 1 : len;
          const char *line;
          gsize line_len;

          g_string_truncate (text, 0);
          for (int n = 0; n < NOTICE_TEXT_MAX_LINES
               && bounce_text_next_line (body, len, &pos, &line, &line_len); n++)
            {
              g_autofree char *collapsed = bounce_text_collapse (line, (gssize) line_len);
              if (collapsed == NULL)
                break;
              /* Another recipient's line ends this one's text. */
              if (n > 0 && memchr (line, '@', line_len) != NULL && !has_codes (collapsed))
                break;
              g_string_append (text, collapsed);
              g_string_append_c (text, ' ');
            }
        }
      {
        char *collapsed = bounce_text_collapse (text->str, (gssize) text->len);
        if (collapsed != NULL && has_codes (collapsed))
          return collapsed;
        if (first == NULL)
          first = collapsed;
        else
          g_free (collapsed);
      }
      p = eol;
    }
  return g_steal_pointer (&first);
}

/* Many MTAs leave Diagnostic-Code out of the DSN and say in the
 * human-readable part what the remote server answered (RFC 6522 section 3
 * makes that part the place for it).  Fill missing or code-less diagnostics
 * from there. */
static void
diagnostics_from_notice (BounceReport *report, Walk *w)
{
  g_auto(BounceWordIndex) index = { 0 };

  for (guint i = 0; i < report->recipients->len; i++)
    {
      BounceRecipient *rcpt = g_ptr_array_index (report->recipients, i);
      g_autofree char *text = NULL;

      if (rcpt->recipient == NULL || has_codes (rcpt->diagnostic))
        continue;
      if (index.text == NULL)
        {
          ensure_body (w);
          notice_index_init (&index, w->body->str, w->body->len, report->recipients->len - i);
        }
      text = notice_text_for (&index, rcpt->recipient);
      if (text == NULL || (rcpt->diagnostic != NULL && !has_codes (text)))
        continue;
      rcpt->diagnostic = bounce_report_str (report, text);
    }
}

/* ---- the SMTP command a reply answered ----------------------------------- */

/* Lines of a recipient's paragraph searched for the command. */
#define NOTICE_COMMAND_MAX_LINES 8

/* How MTAs say, in the human-readable part, which command the remote reply
 * answered (Postfix: "(in reply to RCPT TO command)"; Exim: "SMTP error
 * from remote mail server after RCPT TO:<...>"; GMX: "SMTP error from
 * remote server after RCPT command"), and the verb reported
 * (RFC 5321 section 4.1.1; CONNECT is the greeting). */
static const struct {
  const char *phrase;
  const char *command;
} notice_commands[] = {
  { "in reply to rcpt to command", "RCPT" },
  { "in reply to end of data command", "DATA" },
  { "in reply to data command", "DATA" },
  { "in reply to mail from command", "MAIL" },
  { "in reply to ehlo command", "EHLO" },
  { "in reply to helo command", "HELO" },
  { "error from remote mail server after rcpt to", "RCPT" },
  { "error from remote mail server after end of data", "DATA" },
  { "error from remote mail server after mail from", "MAIL" },
  { "error from remote mail server after ehlo", "EHLO" },
  { "error from remote mail server after helo", "HELO" },
  { "error from remote mail server after initial connection", "CONNECT" },
  { "error from remote server after rcpt command", "RCPT" },
  { "error from remote server after mail command", "MAIL" },
  { "error from remote server after data command", "DATA" },
  { "refused to talk to me", "CONNECT" },
};

/* The command named in the paragraph that names @address: from the line
 * that names it to the next blank line.  The first paragraph that names
 * one decides; within it, the earliest phrase. */
static const char *
notice_command_for (const BounceWordIndex *index, const char *address)
{
  const char *body = index->text;
  gsize len = index->len;
  const char *p = body;

  while ((p = bounce_word_index_find (index, p, address)) != NULL)
    {
      gsize pos = (gsize) (p - body);
      gsize end = pos;
      const char *line;
      gsize line_len;
      const char *best = NULL;
      gsize best_at = G_MAXSIZE;

      for (int n = 0; n < NOTICE_COMMAND_MAX_LINES
           && bounce_text_next_line (body, len, &end, &line, &line_len)
           && (n == 0 || line_len > 0); n++)
        ;
      for (gsize i = 0; i < G_N_ELEMENTS (notice_commands); i++)
        {
          const char *at = bounce_text_find (p, (gssize) (end - pos), notice_commands[i].phrase);

          if (at != NULL && (gsize) (at - p) < best_at)
            {
              best = notice_commands[i].command;
              best_at = (gsize) (at - p);
            }
        }
      if (best != NULL)
        return best;
      p += strlen (address);
    }
  return NULL;
}

/* Lines after a transcript's reply searched for the DATA's own reply. */
#define TRANSCRIPT_PIPELINE_MAX_LINES 6

/* Whether the reply at @reply, which follows ">>> DATA", answered a
 * pipelined RCPT (RFC 2920): Sendmail writes ">>> DATA" for the group it
 * sent, the first refusal and its own verdict, and then the DATA's reply
 * ("503 5.0.0 Need RCPT", "554 Error: no valid recipients").  A DATA
 * refused by itself has one reply. */
static gboolean
pipelined_reply (const char *body, gsize len, const char *reply)
{
  gsize pos = (gsize) (reply - body);
  const char *line;
  gsize line_len;
  gboolean first = TRUE, after_verdict = FALSE;

  while (pos > 0 && body[pos - 1] != '\n')
    pos--;
  for (int n = 0; n < TRANSCRIPT_PIPELINE_MAX_LINES
       && bounce_text_next_line (body, len, &pos, &line, &line_len); n++)
    {
      gboolean server = line_len > 4 && memcmp (line, "<<< ", 4) == 0;

      if (first)
        {
          first = FALSE;
          continue;
        }
      if (line_len == 0 || (line_len > 4 && memcmp (line, ">>> ", 4) == 0))
        return FALSE;
      /* The refusal's continuation lines ("<<< 550-..."), then the verdict. */
      if (!server)
        after_verdict = TRUE;
      else if (after_verdict)
        return TRUE;
    }
  return FALSE;
}

/* Lines above a transcript's reply searched for the command it answered. */
#define TRANSCRIPT_COMMAND_MAX_LINES 4

/* The command a Sendmail-style transcript shows before @diagnostic's reply:
 * "... while talking to mx.example.org.:", ">>> RCPT To:<a@example.org>",
 * "<<< 550 5.1.1 ... User unknown" (">>> ." ends DATA).  NULL when the
 * notice has no such transcript. */
static const char *
transcript_command_for (const char *body, gsize len, const char *diagnostic)
{
  static const struct {
    const char *verb;
    const char *command;
  } verbs[] = {
    { "rcpt", "RCPT" }, { "mail", "MAIL" }, { "data", "DATA" }, { ".", "DATA" },
    { "ehlo", "EHLO" }, { "helo", "HELO" }, { "bdat", "DATA" },
  };
  const char *text = diagnostic;
  g_autofree char *key = NULL;
  const char *p;
  gsize pos;

  /* The reply's words after its codes ("550 5.1.1 "). */
  while (*text != '\0' && (g_ascii_isdigit (*text) || *text == '.' || *text == '-' || *text == ' '))
    text++;
  if (strlen (text) < 8)
    return NULL;
  key = g_strndup (text, MIN (strlen (text), 40));
  /* The reply as the transcript quotes it, not as the list of
   * recipients does ("(reason: 550 ...)"). */
  for (p = body; (p = bounce_text_find (p, (gssize) (len - (gsize) (p - body)), key)) != NULL;
       p += strlen (key))
    {
      pos = (gsize) (p - body);
      while (pos > 0 && body[pos - 1] != '\n')
        pos--;
      if (len - pos >= 4 && memcmp (body + pos, "<<< ", 4) == 0)
        break;
    }
  if (p == NULL)
    return NULL;
  /* Up the transcript to the nearest line the client sent. */
  for (int n = 0; n < TRANSCRIPT_COMMAND_MAX_LINES && pos > 0; n++)
    {
      gsize start = pos - 1;

      while (start > 0 && body[start - 1] != '\n')
        start--;
      if (pos - start > 4 && memcmp (body + start, ">>> ", 4) == 0)
        {
          const char *verb = body + start + 4;
          gsize verb_len = 0;

          while (start + 4 + verb_len < pos && !g_ascii_isspace (verb[verb_len]))
            verb_len++;
          for (gsize i = 0; i < G_N_ELEMENTS (verbs); i++)
            if (strlen (verbs[i].verb) == verb_len
                && g_ascii_strncasecmp (verb, verbs[i].verb, verb_len) == 0)
              {
                /* Pipelining (RFC 2920): ">>> DATA" stands for the group
                 * sent, and a "503 Need RCPT" after the reply says the
                 * reply answered the RCPT. */
                if (strcmp (verbs[i].command, "DATA") == 0 && pipelined_reply (body, len, p))
                  return "RCPT";
                return verbs[i].command;
              }
          return NULL;
        }
      if (pos - start < 4 || memcmp (body + start, "<<< ", 4) != 0)
        return NULL;
      pos = start;
    }
  return NULL;
}

/* A DSN has no field for the command a reply answered; the human-readable
 * part often says it, and it tells whose fault a refusal is (a "user
 * unknown" at RCPT TO is about the recipient, after DATA about the
 * message). */
static void
commands_from_notice (BounceReport *report, Walk *w)
{
  g_auto(BounceWordIndex) index = { 0 };

  for (guint i = 0; i < report->recipients->len; i++)
    {
      BounceRecipient *rcpt = g_ptr_array_index (report->recipients, i);

      if (rcpt->recipient == NULL || rcpt->command != NULL)
        continue;
      if (index.text == NULL)
        {
          ensure_body (w);
          notice_index_init (&index, w->body->str, w->body->len, report->recipients->len - i);
        }
      rcpt->command = notice_command_for (&index, rcpt->recipient);
      if (rcpt->command == NULL && rcpt->diagnostic != NULL)
        rcpt->command = transcript_command_for (w->body->str, w->body->len, rcpt->diagnostic);
    }
}

/* ---- the entry point ---------------------------------------------------- */

static void
read_returned (Walk *w)
{
  if (w->returned != NULL)
    original_from_message (w->report, w->returned, w->settings);
  if (w->returned_headers != NULL)
    {
      gsize len;
      g_autofree char *text = part_content (w->returned_headers, &len);
      const char *charset = g_mime_object_get_content_type_parameter (w->returned_headers,
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
      original_from_text (w->report, text, len, w->settings);
    }
}

BounceReport *
bounce_report_parse (const char *data, gsize length,
                     const BounceSettings *settings_in, GError **error_out)
{
  BounceSettings defaults;
  const BounceSettings *settings = settings_in;
  g_autoptr(BounceReport) report = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GString) body = NULL;
  g_autoptr(GPtrArray) texts = NULL;
  g_autoptr(GPtrArray) htmls = NULL;
  g_autoptr(GByteArray) source = NULL;
  g_autoptr(GMimeStream) stream = NULL;
  g_autoptr(GMimeParser) parser = NULL;
  g_autoptr(GMimeMessage) message = NULL;
  g_autofree char *from = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *returned_text = NULL;
  gsize len;
  g_autoptr(GMimeMessage) returned_decoded = NULL;
  Walk w = { 0 };
  BounceView view = { 0 };

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error_out == NULL || *error_out == NULL, NULL);

  if (settings == NULL)
    {
      bounce_settings_init (&defaults);
      settings = &defaults;
    }
  if (length > settings->max_message_size)
    {
      g_set_error (error_out, BOUNCE_PARSE_ERROR, BOUNCE_PARSE_ERROR_TOO_LARGE,
                   "message of %" G_GSIZE_FORMAT " bytes exceeds the limit of %"
                   G_GSIZE_FORMAT " bytes", length, settings->max_message_size);
      return NULL;
    }
  ensure_gmime ();

  text = normalise_line_ends (data ? data : "", length, &len);
  if (!structure_check (text, len, settings, 0, 0, error_out))
    return NULL;

  report = bounce_report_new ();
  report->max_recipients = settings->max_recipients;
  /* The stream reads our buffer in place (no copy); it does not own it. */
  source = g_byte_array_new_take ((guint8 *) g_steal_pointer (&text), len);
  stream = g_mime_stream_mem_new_with_byte_array (source);
  g_mime_stream_mem_set_owner (GMIME_STREAM_MEM (stream), FALSE);
  parser = g_mime_parser_new_with_stream (stream);
  g_mime_parser_set_format (parser, GMIME_FORMAT_MESSAGE);
  message = g_mime_parser_construct_message (parser, parser_options);
  if (message == NULL || g_mime_header_list_get_count (GMIME_OBJECT (message)->headers) == 0)
    {
      report->kind = BOUNCE_KIND_ERROR;
      report->error = bounce_report_str (report, "not a mail message: no header fields found");
      return g_steal_pointer (&report);
    }

  from = decoded_header (GMIME_OBJECT (message), "From");
  subject = decoded_header (GMIME_OBJECT (message), "Subject");
  report->message_from = bounce_report_str (report, from);
  report->message_subject = bounce_report_str (report, subject);
  report->message_date_text = bounce_report_str (report, g_mime_object_get_header (GMIME_OBJECT (message), "Date"));
  {
    g_autofree char *utc = bounce_text_date_utc (report->message_date_text);
    report->message_date = bounce_report_str (report, utc);
  }

  body = g_string_new (NULL);
  texts = g_ptr_array_new ();
  htmls = g_ptr_array_new ();
  w = (Walk) { .report = report, .settings = settings, .body = body, .texts = texts,
               .htmls = htmls,
               .error = error_out };
  if (g_mime_message_get_mime_part (message) != NULL)
    walk (&w, g_mime_message_get_mime_part (message), 1);
  returned_decoded = w.returned_decoded;
  if (w.failed)
    return NULL;

  read_returned (&w);

  /* A status part mislabelled text/plain may also come first, where RFC
   * 6522 puts the notice: only when the report has no other status part is
   * the first text part read as one (and then it is not the notice). */
  if (w.status_part == NULL && w.in_report && texts->len > 0
      && (w.report_type == NULL || g_ascii_strcasecmp (w.report_type, "feedback-report") != 0))
    {
      gsize flen;
      g_autofree char *first = part_content (g_ptr_array_index (texts, 0), &flen);

      if (dsn_fields_sniff (first, flen))
        w.status_part = g_ptr_array_steal_index (texts, 0);
    }

  /* 1. A DSN: its status part names the recipients. */
  if (w.status_part != NULL)
    {
      gsize slen;
      /* A status part mislabelled text/plain may declare an 8-bit charset
       * (message/delivery-status is ASCII, the global one UTF-8). */
      g_autofree char *status = GMIME_IS_TEXT_PART (w.status_part)
                                ? part_text (w.status_part, &slen)
                                : part_content (w.status_part, &slen);
      int n = dsn_fields_parse (report, status, slen, settings, error_out);

      if (n < 0)
        return NULL;
      if (n > 0)
        {
          report->kind = BOUNCE_KIND_DSN;
          report->format = "rfc3464";
          diagnostics_from_notice (report, &w);
          commands_from_notice (report, &w);
        }
    }
  else if (w.in_report && w.report_type != NULL
           && g_ascii_strcasecmp (w.report_type, "feedback-report") == 0
           && w.feedback_part != NULL)
    read_feedback (&w);

  if (report->kind == BOUNCE_KIND_NOT_BOUNCE)
    {
      ensure_body (&w);
      view = (BounceView) {
        .message = message,
        .from = from,
        .subject = subject,
        .body = body->str,
        .body_len = body->len,
        .settings = settings,
      };
      if (w.returned != NULL)
        {
          returned_text = g_mime_object_to_string (GMIME_OBJECT (w.returned), NULL);
          if (returned_text != NULL)
            {
              gsize rlen;
              char *normal = normalise_line_ends (returned_text, strlen (returned_text), &rlen);
              g_free (returned_text);
              returned_text = normal;
              view.returned = returned_text;
              view.returned_len = rlen;
            }
        }

      if (!legacy_is_daemon_notice (&view) && kinds_is_unsubscribe (&view))
        {
          g_autofree char *addr = bounce_text_address (from, -1);

          report->kind = BOUNCE_KIND_FEEDBACK;
          report->format = "unsubscribe";
          BounceRecipient *rcpt = addr ? bounce_report_add_recipient (report) : NULL;

          if (rcpt != NULL)
            {
              rcpt->recipient = bounce_report_str (report, addr);
              rcpt->feedback_type = "opt-out";
              rcpt->diagnostic = bounce_report_str (report, subject);
            }
        }
      else if (!legacy_is_daemon_notice (&view) && kinds_is_auto_reply (&view))
        {
          BounceRecipient *rcpt;
          g_autofree char *addr = bounce_text_address (from, -1);

          report->kind = BOUNCE_KIND_AUTO_REPLY;
          report->format = "rfc3834";
          if (addr != NULL && (rcpt = bounce_report_add_recipient (report)) != NULL)
            {
              g_autofree char *diag = bounce_text_collapse (subject, -1);
              rcpt->recipient = bounce_report_str (report, addr);
              rcpt->diagnostic = bounce_report_str (report, diag);
            }
        }
      else if (legacy_recognise (report, &view))
        {
          if (report->too_many)
            {
              g_set_error (error_out, BOUNCE_PARSE_ERROR, BOUNCE_PARSE_ERROR_TOO_LARGE,
                           "notice has more than %u recipients", settings->max_recipients);
              return NULL;
            }
          /* A recogniser may know the kind better (a feedback loop's
           * complaint in a provider's own format). */
          if (report->kind == BOUNCE_KIND_NOT_BOUNCE)
            report->kind = BOUNCE_KIND_LEGACY;
          commands_from_notice (report, &w);
          for (guint i = 0; i < report->recipients->len; i++)
            {
              BounceRecipient *r = g_ptr_array_index (report->recipients, i);
              if (r->status == NULL && r->reply_code == NULL)
                {
                  classify_notice_permanence (report, subject, body->str, body->len);
                  break;
                }
            }
          /* A notice whose own words say the mail system is still trying
           * ("will retry", "has been delayed") reports a delay: its
           * recipients are delayed unless the server's answer is final. */
          if (report->notice_class == '4')
            for (guint i = 0; i < report->recipients->len; i++)
              {
                BounceRecipient *r = g_ptr_array_index (report->recipients, i);
                if (g_strcmp0 (r->action, "failed") == 0 && (r->status == NULL || r->status[0] != '5')
                    && (r->reply_code == NULL || r->reply_code[0] != '5'))
                  r->action = "delayed";
              }
        }
    }
  if (report->too_many)
    {
      g_set_error (error_out, BOUNCE_PARSE_ERROR, BOUNCE_PARSE_ERROR_TOO_LARGE,
                   "%s has more than %u recipients",
                   report->kind == BOUNCE_KIND_FEEDBACK ? "feedback report" : "report",
                   settings->max_recipients);
      return NULL;
    }

  /* A multi-line reply cut to its first line (Sendmail's Diagnostic-Code
   * and "(reason: ...)" lines) is whole in the notice's transcript. */
  for (guint i = 0; i < report->recipients->len; i++)
    {
      BounceRecipient *r = g_ptr_array_index (report->recipients, i);
      g_autofree char *whole = NULL;

      if (r->diagnostic == NULL || !g_ascii_isdigit (r->diagnostic[0]) || r->diagnostic[3] != '-')
        continue;
      ensure_body (&w);
      whole = bounce_text_join_reply (w.body->str, w.body->len, r->diagnostic);
      if (whole != NULL && strlen (whole) > strlen (r->diagnostic))
        r->diagnostic = bounce_report_str (report, whole);
    }

  for (guint i = 0; i < report->recipients->len; i++)
    dsn_status_complete (report, g_ptr_array_index (report->recipients, i));

  classify_report (report, settings->rules);
  return g_steal_pointer (&report);
}
