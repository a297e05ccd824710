/* test-sends-csv.c - send counts from CSV (worker/sends-csv.c)
 *
 * RFC 4180 quoting (section 2, rules 5-7), the documented header, and the
 * validation of every column, with the line number of each bad row.
 */
#include "sends-csv.h"

#include <string.h>

#define H SENDS_CSV_HEADER "\n"

/* ---- good files ----------------------------------------------------------- */

typedef struct {
  const char *name;
  const char *clause;
  const char *input;
  const char *expected;   /* rows as "line|day|campaign-or-NULL|domain|count;" */
} GoodCase;

static const GoodCase good_cases[] = {
  { "simple", "documented format", H "2026-11-20,spring,gmail.com,12500\n",
    "2|2026-11-20|spring|gmail.com|12500;" },
  { "crlf", "RFC 4180 2.1: CRLF line breaks", SENDS_CSV_HEADER "\r\n2026-11-20,a,x.org,1\r\n",
    "2|2026-11-20|a|x.org|1;" },
  { "no-final-newline", "RFC 4180 2.2", H "2026-11-20,a,x.org,1",
    "2|2026-11-20|a|x.org|1;" },
  { "empty-campaign-is-null", "absent is NULL (STYLE.md 12)", H "2026-11-20,,x.org,7\n",
    "2|2026-11-20|NULL|x.org|7;" },
  { "quoted-comma", "RFC 4180 2.6", H "2026-11-20,\"spring, sale\",x.org,1\n",
    "2|2026-11-20|spring, sale|x.org|1;" },
  { "doubled-quote", "RFC 4180 2.7", H "2026-11-20,\"the \"\"big\"\" one\",x.org,1\n",
    "2|2026-11-20|the \"big\" one|x.org|1;" },
  { "quoted-newline-moves-lines", "RFC 4180 2.6: line breaks in quotes",
    H "2026-11-20,\"two\nlines\",x.org,1\n2026-11-21,b,x.org,2\n",
    "2|2026-11-20|two\nlines|x.org|1;4|2026-11-21|b|x.org|2;" },
  { "columns-any-order", "header names the columns", "count,recipient_domain,day,campaign\n"
    "5,x.org,2026-11-20,c\n", "2|2026-11-20|c|x.org|5;" },
  { "header-case", "header names are case-insensitive", "Day,Campaign,Recipient_Domain,Count\n"
    "2026-11-20,c,x.org,5\n", NULL },
  { "bom", "spreadsheets write a UTF-8 BOM", "\xEF\xBB\xBF" H "2026-11-20,a,x.org,1\n",
    "2|2026-11-20|a|x.org|1;" },
  { "domain-lowered-root-dot", "domains are case-insensitive (RFC 4343)",
    H "2026-11-20,a,GMail.COM.,3\n", "2|2026-11-20|a|gmail.com|3;" },
  { "spaces-trimmed", "lenient: spaces around fields", H " 2026-11-20 , a , x.org , 4 \n",
    "2|2026-11-20|a|x.org|4;" },
  { "blank-lines-skipped", "lenient", H "\n2026-11-20,a,x.org,1\n\n",
    "3|2026-11-20|a|x.org|1;" },
  { "zero-count", "a day with nothing sent is a fact", H "2026-11-20,a,x.org,0\n",
    "2|2026-11-20|a|x.org|0;" },
  { "leap-day", "2028-02-29 exists", H "2028-02-29,a,x.org,1\n", "2|2028-02-29|a|x.org|1;" },
  { "idn-domain", "internationalised names", H "2026-11-20,a,b\xC3\xBC" "cher.de,1\n",
    "2|2026-11-20|a|b\xC3\xBC" "cher.de|1;" },
  { "same-key-other-campaign", "the key is day, campaign and domain",
    H "2026-11-20,a,x.org,1\n2026-11-20,b,x.org,1\n2026-11-20,,x.org,1\n",
    "2|2026-11-20|a|x.org|1;3|2026-11-20|b|x.org|1;4|2026-11-20|NULL|x.org|1;" },
  { "header-only", "a file with no rows", H, "" },
};

static char *
describe_rows (GPtrArray *rows)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < rows->len; i++)
    {
      const SendsCsvRow *r = g_ptr_array_index (rows, i);
      g_string_append_printf (s, "%u|%s|%s|%s|%" G_GINT64_FORMAT ";", r->line, r->day,
                              r->campaign ? r->campaign : "NULL", r->recipient_domain, r->count);
    }
  return g_string_free (s, FALSE);
}

static void
test_good (gconstpointer data)
{
  const GoodCase *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SendsCsv) csv = sends_csv_parse (c->input, strlen (c->input), &error);
  g_autofree char *rows = NULL;

  g_test_message ("%s (%s)", c->name, c->clause);
  g_assert_no_error (error);
  g_assert_nonnull (csv);
  if (csv->n_problems > 0)
    g_test_message ("problem: line %u: %s",
                    ((SendsCsvProblem *) g_ptr_array_index (csv->problems, 0))->line,
                    ((SendsCsvProblem *) g_ptr_array_index (csv->problems, 0))->message);
  g_assert_cmpuint (csv->n_problems, ==, 0);
  rows = describe_rows (csv->rows);
  if (c->expected != NULL)
    g_assert_cmpstr (rows, ==, c->expected);
  else
    g_assert_cmpuint (csv->rows->len, ==, 1);
}

/* ---- bad rows ------------------------------------------------------------- */

typedef struct {
  const char *name;
  const char *input;
  guint line;              /* of the one problem */
  const char *message_part;
  guint good_rows;         /* rows kept besides the bad one */
} BadCase;

static const BadCase bad_cases[] = {
  { "too-few-fields", H "2026-11-20,a,x.org\n2026-11-20,b,x.org,1\n", 2, "expected 4 fields, found 3", 1 },
  { "too-many-fields", H "2026-11-20,b,x.org,1\n2026-11-20,a,x.org,1,9\n", 3, "found 5", 1 },
  { "bad-month", H "2026-13-01,a,x.org,1\n", 2, "invalid day \"2026-13-01\": no such date", 0 },
  { "not-leap", H "2026-02-29,a,x.org,1\n", 2, "no such date", 0 },
  { "us-date", H "11/20/2026,a,x.org,1\n", 2, "expected YYYY-MM-DD", 0 },
  { "short-date", H "2026-1-20,a,x.org,1\n", 2, "expected YYYY-MM-DD", 0 },
  { "negative-count", H "2026-11-20,a,x.org,-5\n", 2, "invalid count \"-5\"", 0 },
  { "fraction-count", H "2026-11-20,a,x.org,1.5\n", 2, "invalid count", 0 },
  { "empty-count", H "2026-11-20,a,x.org,\n", 2, "count is empty", 0 },
  { "huge-count", H "2026-11-20,a,x.org,99999999999999999999\n", 2, "out of range", 0 },
  { "address-as-domain", H "2026-11-20,a,user@x.org,1\n", 2, "is an address, not a domain", 0 },
  { "empty-domain", H "2026-11-20,a,,1\n", 2, "recipient_domain is empty", 0 },
  { "domain-space", H "2026-11-20,a,x y.org,1\n", 2, "invalid recipient_domain", 0 },
  { "domain-empty-label", H "2026-11-20,a,x..org,1\n", 2, "invalid recipient_domain", 0 },
  { "domain-hyphen-edge", H "2026-11-20,a,-x.org,1\n", 2, "invalid recipient_domain", 0 },
  { "quote-in-unquoted", H "2026-11-20,say \"hi\",x.org,1\n2026-11-21,b,x.org,1\n", 2,
    "quote inside an unquoted field", 1 },
  { "text-after-quote", H "2026-11-20,\"a\"b,x.org,1\n2026-11-21,b,x.org,1\n", 2,
    "text after the closing quote", 1 },
  { "unterminated-quote", H "2026-11-21,b,x.org,1\n2026-11-20,\"open,x.org,1\n", 3,
    "unterminated quoted field (opened on line 3)", 1 },
  { "duplicate-key", H "2026-11-20,a,x.org,1\n2026-11-20,a,X.org,2\n", 3, "duplicate of line 2", 1 },
  { "duplicate-null-campaign", H "2026-11-20,,x.org,1\n2026-11-20,,x.org,2\n", 3,
    "duplicate of line 2", 1 },
  { "invalid-utf8", H "2026-11-20,\xFF\xFE,x.org,1\n", 2, "campaign is not valid UTF-8", 0 },
};

static void
test_bad (gconstpointer data)
{
  const BadCase *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SendsCsv) csv = sends_csv_parse (c->input, strlen (c->input), &error);
  const SendsCsvProblem *p;

  g_test_message ("%s", c->name);
  g_assert_no_error (error);
  g_assert_nonnull (csv);
  g_assert_cmpuint (csv->n_problems, ==, 1);
  g_assert_cmpuint (csv->problems->len, ==, 1);
  p = g_ptr_array_index (csv->problems, 0);
  g_test_message ("line %u: %s", p->line, p->message);
  g_assert_cmpuint (p->line, ==, c->line);
  g_assert_nonnull (strstr (p->message, c->message_part));
  g_assert_cmpuint (csv->rows->len, ==, c->good_rows);
}

static void
test_long_field (void)
{
  g_autofree char *campaign = g_strnfill (SENDS_CSV_MAX_FIELD_LENGTH + 1, 'c');
  g_autofree char *input = g_strdup_printf (H "2026-11-20,%s,x.org,1\n", campaign);
  g_autoptr(SendsCsv) csv = sends_csv_parse (input, strlen (input), NULL);

  g_assert_nonnull (csv);
  g_assert_cmpuint (csv->n_problems, ==, 1);
  g_assert_cmpuint (csv->rows->len, ==, 0);
}

static void
test_many_problems (void)
{
  GString *input = g_string_new (H);
  g_autoptr(SendsCsv) csv = NULL;
  const SendsCsvProblem *last;

  for (guint i = 0; i < SENDS_CSV_MAX_PROBLEMS + 50; i++)
    g_string_append (input, "bad\n");
  csv = sends_csv_parse (input->str, input->len, NULL);
  g_assert_nonnull (csv);
  g_assert_cmpuint (csv->n_problems, ==, SENDS_CSV_MAX_PROBLEMS + 50);
  g_assert_cmpuint (csv->problems->len, ==, SENDS_CSV_MAX_PROBLEMS);
  last = g_ptr_array_index (csv->problems, SENDS_CSV_MAX_PROBLEMS - 1);
  g_assert_cmpuint (last->line, ==, SENDS_CSV_MAX_PROBLEMS + 1);
  g_string_free (input, TRUE);
}

/* ---- bad headers ---------------------------------------------------------- */

typedef struct {
  const char *name;
  const char *input;
} HeaderCase;

static const HeaderCase header_cases[] = {
  { "empty-file", "" },
  { "no-header", "2026-11-20,a,x.org,1\n" },
  { "missing-column", "day,campaign,count\n" },
  { "extra-column", "day,campaign,recipient_domain,count,notes\n" },
  { "repeated-column", "day,day,recipient_domain,count\n" },
  { "misspelt", "day,campaign,domain,count\n" },
  { "blank-first-line", "\n" SENDS_CSV_HEADER "\n" },
};

static void
test_header (gconstpointer data)
{
  const HeaderCase *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SendsCsv) csv = sends_csv_parse (c->input, strlen (c->input), &error);

  g_test_message ("%s", c->name);
  g_assert_null (csv);
  g_assert_error (error, SENDS_CSV_ERROR, SENDS_CSV_ERROR_HEADER);
  g_assert_nonnull (strstr (error->message, SENDS_CSV_HEADER));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (good_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sends-csv/good/%s", good_cases[i].name);
      g_test_add_data_func (path, &good_cases[i], test_good);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sends-csv/bad/%s", bad_cases[i].name);
      g_test_add_data_func (path, &bad_cases[i], test_bad);
    }
  g_test_add_func ("/sends-csv/bad/long-field", test_long_field);
  g_test_add_func ("/sends-csv/bad/many-problems", test_many_problems);
  for (gsize i = 0; i < G_N_ELEMENTS (header_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sends-csv/header/%s", header_cases[i].name);
      g_test_add_data_func (path, &header_cases[i], test_header);
    }
  return g_test_run ();
}
