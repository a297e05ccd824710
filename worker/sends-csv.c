/* sends-csv.c - send counts from CSV, RFC 4180
 *
 * The grammar (RFC 4180 section 2, ABNF restated):
 *
 *   file        = header EOL *(record EOL) [record]
 *   record      = field *(COMMA field)
 *   field       = escaped / non-escaped
 *   escaped     = DQUOTE *(TEXTDATA / COMMA / CR / LF / 2DQUOTE) DQUOTE
 *   non-escaped = *TEXTDATA
 *
 * Deliberate deviations, all in the lenient direction: LF alone ends a line
 * as well as CRLF (files written on Unix); a UTF-8 byte order mark before
 * the header is skipped (spreadsheets write one); blank lines are skipped;
 * white space around a field is removed.
 *
 * Invariants:
 *  1. A bad row never stops the reading: it is described with the line it
 *     starts on, and the reader resumes at the next record.
 *  2. Line numbers count physical lines, so a quoted field with line breaks
 *     moves the numbers of the rows after it the way an editor shows them.
 */
#include "sends-csv.h"

#include <string.h>

G_DEFINE_QUARK (sends-csv-error-quark, sends_csv_error)

enum { COL_DAY, COL_CAMPAIGN, COL_DOMAIN, COL_COUNT, N_COLS };

static const char *const column_names[N_COLS] = {
  "day", "campaign", "recipient_domain", "count",
};

typedef struct {
  const char *data;
  gsize length;
  gsize pos;
  guint line;         /* the line at pos */
} Reader;

static void
row_free (gpointer data)
{
  SendsCsvRow *row = data;

  g_free (row->day);
  g_free (row->campaign);
  g_free (row->recipient_domain);
  g_free (row);
}

static void
problem_free (gpointer data)
{
  SendsCsvProblem *p = data;

  g_free (p->message);
  g_free (p);
}

void
sends_csv_free (SendsCsv *csv)
{
  if (csv == NULL)
    return;
  g_ptr_array_unref (csv->rows);
  g_ptr_array_unref (csv->problems);
  g_free (csv);
}

static void
add_problem (SendsCsv *csv, guint line, char *message)
{
  csv->n_problems++;
  if (csv->problems->len < SENDS_CSV_MAX_PROBLEMS)
    {
      SendsCsvProblem *p = g_new0 (SendsCsvProblem, 1);
      p->line = line;
      p->message = message;
      g_ptr_array_add (csv->problems, p);
    }
  else
    g_free (message);
}

/* Skips to the character after the end of the current line. */
static void
skip_line (Reader *r)
{
  while (r->pos < r->length && r->data[r->pos] != '\n')
    r->pos++;
  if (r->pos < r->length)
    {
      r->pos++;
      r->line++;
    }
}

/* Reads one record into @fields (char*, stripped).  Returns FALSE at the
 * end of the input (nothing read).  On a syntax error returns TRUE with
 * *@problem_out set, and the reader past the bad record. */
static gboolean
read_record (Reader *r, GPtrArray *fields, char **problem_out)
{
  GString *field = g_string_new (NULL);

  g_ptr_array_set_size (fields, 0);
  *problem_out = NULL;
  if (r->pos >= r->length)
    {
      g_string_free (field, TRUE);
      return FALSE;
    }

  for (;;)
    {
      gboolean quoted = FALSE;

      g_string_truncate (field, 0);
      while (r->pos < r->length && (r->data[r->pos] == ' ' || r->data[r->pos] == '\t'))
        r->pos++;
      if (r->pos < r->length && r->data[r->pos] == '"')
        {
          guint start_line = r->line;

          /* escaped = DQUOTE *(TEXTDATA / COMMA / CR / LF / 2DQUOTE) DQUOTE */
          quoted = TRUE;
          r->pos++;
          for (;;)
            {
              char c;

              if (r->pos >= r->length)
                {
                  *problem_out = g_strdup_printf ("unterminated quoted field (opened on line %u)",
                                                  start_line);
                  g_string_free (field, TRUE);
                  return TRUE;
                }
              c = r->data[r->pos++];
              if (c == '"')
                {
                  if (r->pos < r->length && r->data[r->pos] == '"')
                    {
                      g_string_append_c (field, '"');
                      r->pos++;
                      continue;
                    }
                  break;
                }
              if (c == '\n')
                r->line++;
              g_string_append_c (field, c);
            }
          while (r->pos < r->length && (r->data[r->pos] == ' ' || r->data[r->pos] == '\t'))
            r->pos++;
        }
      else
        {
          /* non-escaped = *TEXTDATA: no DQUOTE, COMMA, CR or LF */
          while (r->pos < r->length)
            {
              char c = r->data[r->pos];

              if (c == ',' || c == '\n' || (c == '\r' && r->pos + 1 < r->length
                                            && r->data[r->pos + 1] == '\n'))
                break;
              if (c == '"')
                {
                  *problem_out = g_strdup ("quote inside an unquoted field "
                                           "(RFC 4180: quote the field and double the quote)");
                  skip_line (r);
                  g_string_free (field, TRUE);
                  return TRUE;
                }
              g_string_append_c (field, c);
              r->pos++;
            }
        }

      if (field->len > SENDS_CSV_MAX_FIELD_LENGTH && *problem_out == NULL)
        *problem_out = g_strdup_printf ("field %u is longer than %d bytes",
                                        fields->len + 1, SENDS_CSV_MAX_FIELD_LENGTH);
      {
        char *value = g_string_free (g_string_new_len (field->str, field->len), FALSE);
        if (!quoted)
          g_strstrip (value);
        g_ptr_array_add (fields, value);
      }

      if (r->pos >= r->length)
        break;
      if (r->data[r->pos] == ',')
        {
          r->pos++;
          continue;
        }
      if (r->data[r->pos] == '\r')
        r->pos++;
      if (r->pos < r->length && r->data[r->pos] == '\n')
        {
          r->pos++;
          r->line++;
          break;
        }
      /* Text after a closing quote. */
      *problem_out = g_strdup ("text after the closing quote of a field");
      skip_line (r);
      break;
    }
  g_string_free (field, TRUE);
  return TRUE;
}

static gboolean
record_is_blank (GPtrArray *fields)
{
  return fields->len == 1 && *(const char *) g_ptr_array_index (fields, 0) == '\0';
}

static char *
check_day (const char *s)
{
  guint y, m, d;

  /* YYYY-MM-DD (ISO 8601 calendar date, RFC 3339 full-date). */
  if (strlen (s) != 10 || s[4] != '-' || s[7] != '-')
    return g_strdup_printf ("invalid day \"%s\": expected YYYY-MM-DD", s);
  for (guint i = 0; i < 10; i++)
    if (i != 4 && i != 7 && !g_ascii_isdigit (s[i]))
      return g_strdup_printf ("invalid day \"%s\": expected YYYY-MM-DD", s);
  y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  m = (s[5] - '0') * 10 + (s[6] - '0');
  d = (s[8] - '0') * 10 + (s[9] - '0');
  if (y < 1 || !g_date_valid_dmy (d, m, y))
    return g_strdup_printf ("invalid day \"%s\": no such date", s);
  return NULL;
}

/* Lower-cases @s in place and checks it is a domain name: labels of letters,
 * digits, "-" and "_" (or non-ASCII, for internationalised names), at most
 * 63 bytes each (RFC 1035 section 2.3.4), not starting or ending with "-". */
static char *
check_domain (char *s)
{
  gsize len;
  char *label;

  if (*s == '\0')
    return g_strdup ("recipient_domain is empty");
  if (strchr (s, '@') != NULL)
    return g_strdup_printf ("recipient_domain \"%s\" is an address, not a domain", s);
  len = strlen (s);
  if (len > 1 && s[len - 1] == '.')
    s[--len] = '\0';          /* the root label */
  if (len > SENDS_CSV_MAX_DOMAIN_LENGTH)
    return g_strdup_printf ("recipient_domain is longer than %d characters",
                            SENDS_CSV_MAX_DOMAIN_LENGTH);
  for (char *p = s; *p; p++)
    *p = g_ascii_tolower (*p);

  label = s;
  for (char *p = s;; p++)
    {
      if (*p == '.' || *p == '\0')
        {
          gsize n = p - label;
          if (n == 0 || n > 63 || label[0] == '-' || label[n - 1] == '-')
            return g_strdup_printf ("invalid recipient_domain \"%s\"", s);
          if (*p == '\0')
            break;
          label = p + 1;
          continue;
        }
      if (!(g_ascii_isalnum (*p) || *p == '-' || *p == '_' || (guchar) *p >= 0x80))
        return g_strdup_printf ("invalid recipient_domain \"%s\"", s);
    }
  return NULL;
}

static char *
check_count (const char *s, gint64 *count_out)
{
  guint64 v;

  if (*s == '\0')
    return g_strdup ("count is empty");
  for (const char *p = s; *p; p++)
    if (!g_ascii_isdigit (*p))
      return g_strdup_printf ("invalid count \"%s\": expected a whole number, 0 or more", s);
  if (!g_ascii_string_to_unsigned (s, 10, 0, G_MAXINT64, &v, NULL))
    return g_strdup_printf ("count \"%s\" is out of range", s);
  *count_out = (gint64) v;
  return NULL;
}

/* Maps the header's columns to COL_*; returns FALSE with @error_out set. */
static gboolean
read_header (GPtrArray *fields, int *order, const char *problem, GError **error_out)
{
  guint seen = 0;

  if (problem != NULL || fields->len != N_COLS)
    goto bad;
  for (guint i = 0; i < N_COLS; i++)
    {
      const char *name = g_ptr_array_index (fields, i);
      int col = -1;

      for (int c = 0; c < N_COLS; c++)
        if (g_ascii_strcasecmp (name, column_names[c]) == 0)
          col = c;
      if (col < 0 || (seen & (1u << col)))
        goto bad;
      seen |= 1u << col;
      order[i] = col;
    }
  return TRUE;

bad:
  g_set_error (error_out, SENDS_CSV_ERROR, SENDS_CSV_ERROR_HEADER,
               "line 1 must be the header \"%s\"", SENDS_CSV_HEADER);
  return FALSE;
}

SendsCsv *
sends_csv_parse (const char *data, gsize length, GError **error_out)
{
  g_autoptr(SendsCsv) csv = g_new0 (SendsCsv, 1);
  g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  Reader r = { data, length, 0, 1 };
  int order[N_COLS];
  char *problem = NULL;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  csv->rows = g_ptr_array_new_with_free_func (row_free);
  csv->problems = g_ptr_array_new_with_free_func (problem_free);

  if (length >= 3 && memcmp (data, "\xEF\xBB\xBF", 3) == 0)
    r.pos = 3;
  if (!read_record (&r, fields, &problem) || !read_header (fields, order, problem, error_out))
    {
      if (problem == NULL && fields->len == 0)
        g_set_error (error_out, SENDS_CSV_ERROR, SENDS_CSV_ERROR_HEADER,
                     "the file is empty: line 1 must be the header \"%s\"", SENDS_CSV_HEADER);
      g_free (problem);
      return NULL;
    }

  for (;;)
    {
      guint line = r.line;
      const char *cols[N_COLS];
      g_autofree char *domain = NULL;
      g_autofree char *key = NULL;
      gint64 count = 0;
      char *why = NULL;
      gpointer first;

      if (!read_record (&r, fields, &problem))
        break;
      if (problem != NULL)
        {
          add_problem (csv, line, problem);
          continue;
        }
      if (record_is_blank (fields))
        continue;
      if (fields->len != N_COLS)
        {
          add_problem (csv, line, g_strdup_printf ("expected %d fields, found %u",
                                                   N_COLS, fields->len));
          continue;
        }
      for (guint i = 0; i < N_COLS; i++)
        cols[order[i]] = g_ptr_array_index (fields, i);
      for (guint i = 0; i < N_COLS && why == NULL; i++)
        if (!g_utf8_validate (cols[i], -1, NULL))
          why = g_strdup_printf ("%s is not valid UTF-8", column_names[i]);
      domain = g_strdup (cols[COL_DOMAIN]);
      if (why == NULL)
        why = check_day (cols[COL_DAY]);
      if (why == NULL)
        why = check_domain (domain);
      if (why == NULL)
        why = check_count (cols[COL_COUNT], &count);
      if (why != NULL)
        {
          add_problem (csv, line, why);
          continue;
        }

      /* The key of send_counts: a second row for it would be ambiguous
       * (add? replace?), so it is refused rather than guessed. */
      key = g_strdup_printf ("%s\x1f%s%s\x1f%s", cols[COL_DAY],
                             *cols[COL_CAMPAIGN] ? "=" : "", cols[COL_CAMPAIGN], domain);
      first = g_hash_table_lookup (keys, key);
      if (first != NULL)
        {
          add_problem (csv, line,
                       g_strdup_printf ("duplicate of line %u (same day, campaign and recipient_domain)",
                                        GPOINTER_TO_UINT (first)));
          continue;
        }
      if (csv->rows->len >= SENDS_CSV_MAX_ROWS)
        {
          g_set_error (error_out, SENDS_CSV_ERROR, SENDS_CSV_ERROR_TOO_LARGE,
                       "more than %d rows: split the file", SENDS_CSV_MAX_ROWS);
          return NULL;
        }
      g_hash_table_insert (keys, g_steal_pointer (&key), GUINT_TO_POINTER (line));

      {
        SendsCsvRow *row = g_new0 (SendsCsvRow, 1);
        row->line = line;
        row->day = g_strdup (cols[COL_DAY]);
        row->campaign = *cols[COL_CAMPAIGN] ? g_strdup (cols[COL_CAMPAIGN]) : NULL;
        row->recipient_domain = g_steal_pointer (&domain);
        row->count = count;
        g_ptr_array_add (csv->rows, row);
      }
    }
  return g_steal_pointer (&csv);
}
