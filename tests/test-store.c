/* test-store.c - the PostgreSQL store against a real server (suite db)
 *
 * Needs a server named by the PG* variables (tests/with-postgres provides a
 * throwaway one); without any, every test is skipped.  Each test creates a
 * fresh database with a unique name and drops it at the end.  The reports
 * written come from bounce_report_parse() on messages composed here.
 */
#include "store.h"
#include "bounce-private.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
  const char *recipient;
  const char *action;
  const char *status;
  const char *diagnostic;
  const char *last_attempt;    /* RFC 5322 date */
} TestRcpt;

#define TEST_MAX_RCPTS 3

typedef struct {
  const char *name;
  const char *id;              /* makes the content unique */
  TestRcpt rcpts[TEST_MAX_RCPTS];
} TestDsn;

/* Delivery status notifications in the shape RFC 3464 section 2 gives,
 * with the recipients of each case. */
static const TestDsn dsn_cases[] = {
  { "two-recipients", "a1", {
      { "user1@Example.ORG", "failed", "5.1.1", "550 5.1.1 <user1@example.org>: user unknown",
        "Sun, 1 Nov 2026 10:00:00 +0000" },
      { "user2@example.org", "failed", "5.2.2", "552 5.2.2 mailbox full, quota exceeded",
        "Sun, 1 Nov 2026 10:00:05 +0000" } } },
  { "soft-again", "b2", {
      { "user2@example.org", "delayed", "4.2.2", "452 4.2.2 mailbox full",
        "Thu, 5 Nov 2026 08:00:00 +0000" } } },
  { "earlier-other-case", "c3", {
      { "USER1@example.org", "failed", "5.1.1", "550 5.1.1 no such user here",
        "Thu, 15 Oct 2026 12:00:00 +0200" } } },
  { "blocked-sender", "d4", {
      { "user3@mail.example.net", "failed", "5.7.1",
        "554 5.7.1 Service unavailable; client host blocked using a blocklist",
        "Mon, 2 Nov 2026 09:30:00 +0000" } } },
};

static const char dsn_template[] =
  "From: MAILER-DAEMON@mx.example.net\r\n"
  "To: sender@example.com\r\n"
  "Subject: Undelivered Mail Returned to Sender\r\n"
  "Date: Mon, 2 Nov 2026 10:00:00 +0000\r\n"
  "Message-ID: <%s.dsn@mx.example.net>\r\n"
  "MIME-Version: 1.0\r\n"
  "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n"
  "\r\n"
  "--b\r\n"
  "Content-Type: text/plain\r\n"
  "\r\n"
  "Your message could not be delivered.\r\n"
  "\r\n"
  "--b\r\n"
  "Content-Type: message/delivery-status\r\n"
  "\r\n"
  "Reporting-MTA: dns; mx.example.net\r\n"
  "Arrival-Date: Sun, 1 Nov 2026 09:59:00 +0000\r\n"
  "%s"
  "\r\n"
  "--b\r\n"
  "Content-Type: text/rfc822-headers\r\n"
  "\r\n"
  "From: sender@example.com\r\n"
  "To: someone@example.org\r\n"
  "Subject: Autumn news %s\r\n"
  "Message-ID: <%s.orig@example.com>\r\n"
  "X-Campaign-ID: autumn\r\n"
  "\r\n"
  "--b--\r\n";

static const char not_bounce_text[] =
  "From: friend@example.org\r\n"
  "To: sender@example.com\r\n"
  "Subject: lunch?\r\n"
  "Message-ID: <lunch@example.org>\r\n"
  "\r\n"
  "Are you free on Tuesday?\r\n";

static char *
dsn_compose (const TestDsn *c)
{
  g_autoptr(GString) blocks = g_string_new (NULL);

  for (guint i = 0; i < TEST_MAX_RCPTS && c->rcpts[i].recipient; i++)
    {
      const TestRcpt *r = &c->rcpts[i];

      g_string_append_printf (blocks,
                              "\r\nFinal-Recipient: rfc822; %s\r\n"
                              "Action: %s\r\n"
                              "Status: %s\r\n"
                              "Remote-MTA: dns; mx.example.org\r\n"
                              "Diagnostic-Code: smtp; %s\r\n"
                              "Last-Attempt-Date: %s\r\n",
                              r->recipient, r->action, r->status, r->diagnostic, r->last_attempt);
    }
  return g_strdup_printf (dsn_template, c->id, blocks->str, c->id, c->id);
}

/* ---- a batch of items and what they own ------------------------------ */

typedef struct {
  GArray *items;        /* StoreItem */
  GPtrArray *reports;   /* BounceReport* */
  GPtrArray *strings;   /* char* (sha256, source) */
} Batch;

static Batch *
batch_new (void)
{
  Batch *b = g_new0 (Batch, 1);

  b->items = g_array_new (FALSE, TRUE, sizeof (StoreItem));
  b->reports = g_ptr_array_new_with_free_func ((GDestroyNotify) bounce_report_free);
  b->strings = g_ptr_array_new_with_free_func (g_free);
  return b;
}

static void
batch_free (Batch *b)
{
  g_array_unref (b->items);
  g_ptr_array_unref (b->reports);
  g_ptr_array_unref (b->strings);
  g_free (b);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Batch, batch_free)

/* Adds a message by its text (parsed here), or an unreadable one (NULL). */
static void
batch_add (Batch *b, const char *source, const char *text)
{
  g_autoptr(GError) error = NULL;
  BounceReport *report;
  StoreItem item = { 0 };
  char *sha;

  if (text != NULL)
    {
      report = bounce_report_parse (text, strlen (text), NULL, &error);
      g_assert_no_error (error);
      sha = g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
      item.size = strlen (text);
    }
  else
    {
      report = bounce_report_new_error ("could not read: permission denied");
      sha = g_compute_checksum_for_string (G_CHECKSUM_SHA256, source, -1);
    }
  g_ptr_array_add (b->reports, report);
  g_ptr_array_add (b->strings, sha);
  g_ptr_array_add (b->strings, g_strdup (source));
  item.sha256 = sha;
  item.source = g_ptr_array_index (b->strings, b->strings->len - 1);
  item.report = report;
  g_array_append_val (b->items, item);
}

static void
batch_add_dsn (Batch *b, const TestDsn *c)
{
  g_autofree char *text = dsn_compose (c);
  g_autofree char *source = g_strdup_printf ("new/%s.eml", c->name);

  batch_add (b, source, text);
}

/* The cases above, a message that is no bounce and an unreadable file. */
static Batch *
batch_of_cases (void)
{
  Batch *b = batch_new ();

  for (gsize i = 0; i < G_N_ELEMENTS (dsn_cases); i++)
    batch_add_dsn (b, &dsn_cases[i]);
  batch_add (b, "new/lunch.eml", not_bounce_text);
  batch_add (b, "new/unreadable.eml", NULL);
  return b;
}

static guint
batch_outcomes (const Batch *b)
{
  guint n = 0;

  for (guint i = 0; i < b->reports->len; i++)
    n += ((const BounceReport *) g_ptr_array_index (b->reports, i))->recipients->len;
  return n;
}

static gboolean
batch_write (Store *store, const Batch *b, GError **error_out)
{
  return store_write_batch (store, (const StoreItem *) b->items->data, b->items->len, error_out);
}

/* ---- fixture: a fresh database --------------------------------------- */

typedef struct {
  Store *admin;         /* connected to the server's default database */
  char *dbname;
  char *conninfo;
  Store *store;         /* connected to the fresh database */
} Fixture;

static gboolean
have_server (void)
{
  return g_getenv ("PGHOST") || g_getenv ("PGPORT") || g_getenv ("PGDATABASE");
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  static guint counter;
  g_autoptr(GError) error = NULL;
  g_autofree char *create = NULL;

  memset (f, 0, sizeof *f);
  if (!have_server ())
    {
      g_test_skip ("no PostgreSQL server (run under tests/with-postgres)");
      return;
    }
  f->admin = store_open ("", &error);
  g_assert_no_error (error);
  f->dbname = g_strdup_printf ("bounced_test_%d_%u", (int) getpid (), counter++);
  create = g_strdup_printf ("CREATE DATABASE %s", f->dbname);
  store_run_sql (f->admin, create, &error);
  g_assert_no_error (error);
  f->conninfo = g_strdup_printf ("dbname=%s", f->dbname);
  f->store = store_open (f->conninfo, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *drop = NULL;

  g_clear_pointer (&f->store, store_free);
  if (f->admin != NULL)
    {
      /* A test may have restarted the server under the connection. */
      store_check (f->admin, &error);
      g_assert_no_error (error);
      drop = g_strdup_printf ("DROP DATABASE %s WITH (FORCE)", f->dbname);
      store_run_sql (f->admin, drop, &error);
      g_assert_no_error (error);
    }
  g_clear_pointer (&f->admin, store_free);
  g_clear_pointer (&f->dbname, g_free);
  g_clear_pointer (&f->conninfo, g_free);
}

static char *
query (Store *store, const char *sql)
{
  g_autoptr(GError) error = NULL;
  char *value = store_query_value (store, sql, &error);

  g_assert_no_error (error);
  return value;
}

static void
assert_query (Store *store, const char *sql, const char *expected)
{
  g_autofree char *value = query (store, sql);

  if (g_strcmp0 (value, expected) != 0)
    g_error ("%s\n  gave \"%s\", expected \"%s\"", sql, value ? value : "(null)",
             expected ? expected : "(null)");
}

static void
assert_query_int (Store *store, const char *sql, guint expected)
{
  g_autofree char *text = g_strdup_printf ("%u", expected);

  assert_query (store, sql, text);
}

static void
migrate (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (store_migrate (f->store, &error), >=, 1);
  g_assert_no_error (error);
}

/* Rows of recipients that disagree with the counts over the outcomes
 * (invariant 3 of sql/001_schema.sql), or that are missing on either side. */
static const char recipients_mismatch_sql[] =
  "SELECT count(*) FROM bounce.recipients r FULL JOIN ("
  "  SELECT lower(o.recipient) AS address, count(*) AS outcomes,"
  "    count(*) FILTER (WHERE o.hard_bounce) AS hard,"
  "    count(*) FILTER (WHERE NOT o.hard_bounce"
  "                     AND g.grp IN ('mailbox', 'infrastructure', 'unknown')) AS soft,"
  "    count(*) FILTER (WHERE o.reason = 'feedback') AS complaints,"
  "    count(*) FILTER (WHERE o.reason = 'delivered') AS delivered,"
  "    min(o.event_time) AS first, max(o.event_time) AS last,"
  "    (array_agg(o.reason ORDER BY o.event_time DESC, o.message_id DESC,"
  "               o.ordinal DESC))[1] AS last_reason,"
  "    (array_agg(o.message_id ORDER BY o.event_time DESC, o.message_id DESC,"
  "               o.ordinal DESC))[1] AS last_message_id"
  "  FROM bounce.recipient_outcomes o LEFT JOIN bounce.reasons g USING (reason)"
  "  WHERE o.recipient IS NOT NULL GROUP BY 1) a USING (address)"
  " WHERE r.address IS NULL OR a.address IS NULL OR r.outcomes <> a.outcomes"
  "    OR r.hard_bounces <> a.hard OR r.soft_bounces <> a.soft"
  "    OR r.complaints <> a.complaints OR r.delivered <> a.delivered"
  "    OR r.first_event_time <> a.first OR r.last_event_time <> a.last"
  "    OR r.last_reason <> a.last_reason OR r.last_message_id <> a.last_message_id";

/* ---- migrations ------------------------------------------------------ */

static void
test_migrate_apply_reapply (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *applied = NULL;
  int n;

  if (f->store == NULL)
    return;
  n = store_migrate (f->store, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, >=, 1);
  applied = g_strdup_printf ("%d", n);
  assert_query (f->store, "SELECT count(*) FROM bounce.schema_migrations", applied);

  g_assert_cmpint (store_migrate (f->store, &error), ==, 0);
  g_assert_no_error (error);
  assert_query (f->store, "SELECT count(*) FROM bounce.schema_migrations", applied);

  for (const char *const *t = (const char *const[]) { "messages", "recipient_outcomes",
                                                     "recipients", "send_counts",
                                                     "schema_migrations", NULL }; *t; t++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT to_regclass('bounce.%s') IS NOT NULL", *t);

      assert_query (f->store, sql, "t");
    }
  /* recipient_outcomes is partitioned, with a default partition. */
  assert_query (f->store,
                "SELECT relkind FROM pg_class WHERE oid = 'bounce.recipient_outcomes'::regclass", "p");
  assert_query (f->store,
                "SELECT count(*) FROM pg_partitioned_table p JOIN pg_class d ON d.oid = p.partdefid"
                " WHERE p.partrelid = 'bounce.recipient_outcomes'::regclass", "1");
  /* COMMENT ON every table, view and column (partitions excepted). */
  assert_query (f->store,
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'bounce' AND c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition"
                "   AND obj_description(c.oid, 'pg_class') IS NULL", "0");
  assert_query (f->store,
                "SELECT string_agg(c.relname || '.' || a.attname, ', ') FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
                " WHERE n.nspname = 'bounce' AND c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition"
                "   AND col_description(c.oid, a.attnum) IS NULL", NULL);
  /* The roles exist (the test server's user may create roles). */
  assert_query (f->store, "SELECT count(*) FROM pg_roles WHERE rolname IN"
                " ('bounced_ingest', 'bounced_reader')", "2");
  assert_query (f->store, "SELECT has_table_privilege('bounced_reader', 'bounce.messages', 'INSERT')", "f");
  assert_query (f->store, "SELECT has_table_privilege('bounced_reader', 'bounce.messages', 'SELECT')", "t");
  assert_query (f->store, "SELECT has_table_privilege('bounced_ingest', 'bounce.recipients', 'UPDATE')", "t");
}

typedef struct {
  const char *conninfo;
  int applied;
  GError *error;
} MigrateThread;

static gpointer
migrate_thread (gpointer data)
{
  MigrateThread *t = data;
  g_autoptr(Store) store = store_open (t->conninfo, &t->error);

  if (store != NULL)
    t->applied = store_migrate (store, &t->error);
  return NULL;
}

static void
test_migrate_concurrent (Fixture *f, gconstpointer data)
{
  MigrateThread t[2] = { { f->conninfo, -1, NULL }, { f->conninfo, -1, NULL } };
  GThread *threads[2];

  if (f->store == NULL)
    return;
  for (int i = 0; i < 2; i++)
    threads[i] = g_thread_new ("migrate", migrate_thread, &t[i]);
  for (int i = 0; i < 2; i++)
    g_thread_join (threads[i]);
  g_assert_no_error (t[0].error);
  g_assert_no_error (t[1].error);
  /* Each migration is applied by exactly one of them. */
  {
    g_autofree char *count = query (f->store, "SELECT count(*) FROM bounce.schema_migrations");

    g_assert_cmpint (t[0].applied + t[1].applied, ==, atoi (count));
    g_assert_cmpint (atoi (count), >=, 1);
  }
}

/* ---- writing batches ------------------------------------------------- */

/* The outcomes of @report as stored, rendered like expected_outcomes(). */
static char *
stored_outcomes (Store *store, const char *sha256)
{
  g_autofree char *sql = g_strdup_printf (
    "SELECT string_agg(concat_ws('|', o.recipient, o.action, o.status, o.reply_code,"
    "  o.diagnostic, o.remote_mta, o.reason, o.hard_bounce, o.evidence), ';' ORDER BY o.ordinal)"
    " FROM bounce.recipient_outcomes o JOIN bounce.messages m ON m.id = o.message_id"
    " WHERE m.sha256 = '%s'", sha256);

  return query (store, sql);
}

static char *
expected_outcomes (const BounceReport *report)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < report->recipients->len; i++)
    {
      const BounceRecipient *r = g_ptr_array_index (report->recipients, i);
      const char *fields[] = { r->recipient, r->action, r->status, r->reply_code,
                               r->diagnostic, r->remote_mta, r->reason,
                               r->hard_bounce ? "t" : "f", r->evidence };
      gboolean first = TRUE;

      if (i > 0)
        g_string_append_c (out, ';');
      for (gsize k = 0; k < G_N_ELEMENTS (fields); k++)
        if (fields[k] != NULL)
          {
            if (!first)
              g_string_append_c (out, '|');
            g_string_append (out, fields[k]);
            first = FALSE;
          }
    }
  if (out->len == 0)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

static void
test_batch_rows (Fixture *f, gconstpointer data)
{
  g_autoptr(Batch) b = NULL;
  g_autoptr(GError) error = NULL;

  if (f->store == NULL)
    return;
  migrate (f);
  b = batch_of_cases ();
  g_assert_true (batch_write (f->store, b, &error));
  g_assert_no_error (error);

  assert_query_int (f->store, "SELECT count(*) FROM bounce.messages", b->items->len);
  assert_query_int (f->store, "SELECT count(*) FROM bounce.recipient_outcomes", batch_outcomes (b));
  g_assert_cmpuint (batch_outcomes (b), ==, 5);

  /* Every stored outcome carries the report's fields. */
  for (guint i = 0; i < b->items->len; i++)
    {
      const StoreItem *it = &g_array_index (b->items, StoreItem, i);
      g_autofree char *stored = stored_outcomes (f->store, it->sha256);
      g_autofree char *expected = expected_outcomes (it->report);
      g_autofree char *kind_sql = g_strdup_printf (
        "SELECT concat_ws('|', kind, source, size, classifier_version)"
        " FROM bounce.messages WHERE sha256 = '%s'", it->sha256);
      g_autofree char *kind = g_strdup_printf ("%s|%s|%" G_GSIZE_FORMAT "|%s",
                                               bounce_kind_to_string (it->report->kind),
                                               it->source, it->size,
                                               bounce_classifier_version ());

      g_assert_cmpstr (stored, ==, expected);
      assert_query (f->store, kind_sql, kind);
    }

  /* Message fields of the first DSN. */
  assert_query (f->store,
                "SELECT concat_ws('|', reporting_mta, original_message_id, campaign,"
                " arrival_date AT TIME ZONE 'UTC', message_date AT TIME ZONE 'UTC', error IS NULL)"
                " FROM bounce.messages WHERE source = 'new/two-recipients.eml'",
                "mx.example.net|a1.orig@example.com|autumn|2026-11-01 09:59:00|2026-11-02 10:00:00|t");
  /* Event time is the Last-Attempt-Date; the domain is lower case. */
  assert_query (f->store,
                "SELECT concat_ws('|', recipient_domain, event_time AT TIME ZONE 'UTC', campaign, kind)"
                " FROM bounce.recipient_outcomes WHERE recipient = 'USER1@example.org'",
                "example.org|2026-10-15 10:00:00|autumn|dsn");
  /* The unreadable file is a messages row with its error, and a parse failure. */
  assert_query (f->store, "SELECT concat_ws('|', m.kind, p.error) FROM bounce.parse_failures p"
                " JOIN bounce.messages m USING (id)",
                "error|could not read: permission denied");

  /* recipients: user1 in two spellings is one address. */
  assert_query (f->store, "SELECT count(*) FROM bounce.recipients", "3");
  assert_query (f->store,
                "SELECT concat_ws('|', outcomes, domain, first_event_time AT TIME ZONE 'UTC',"
                " last_event_time AT TIME ZONE 'UTC') FROM bounce.recipients"
                " WHERE address = 'user1@example.org'",
                "2|example.org|2026-10-15 10:00:00|2026-11-01 10:00:00");
  assert_query (f->store, recipients_mismatch_sql, "0");
}

/* ---- every field at its extremes ------------------------------------- */

/* A text value that holds everything COPY's text format must escape or
 * that a server could refuse: every control character but NUL, the
 * delimiters, backslash sequences that mean something to COPY ("\\.", the
 * end-of-data marker; "\\N", NULL), characters outside the BMP. */
static char *
extreme_text (const char *tag)
{
  GString *s = g_string_new (tag);

  for (int c = 1; c < 0x20; c++)
    g_string_append_c (s, (char) c);
  g_string_append (s, "\x7f \\. \\N \\\\ \" ' ; -- \xf0\x9f\x93\xa8 \xef\xbf\xbd end\n\\.\n");
  return g_string_free (s, FALSE);
}

/* Each time field with the value it must read back as (UTC), or NULL. */
static const struct {
  const char *iso;
  const char *stored;
} extreme_times[] = {
  { "9999-12-31T23:59:59+00:00", "9999-12-31 23:59:59" },
  { "1000-01-01T00:00:00+00:00", "1000-01-01 00:00:00" },
  /* A report made elsewhere with an offset of its own: the store writes UTC
   * whatever the offset (RFC 5322 allows up to +9959, timestamptz 15:59). */
  { "2026-11-20T10:00:00+23:59", "2026-11-19 10:01:00" },
  { "2026-11-20T10:00:00-23:59", "2026-11-21 09:59:00" },
  /* Before year 1000 (RFC 5322 3.3 years are four digits at least) and
   * unreadable: absent, not a failed batch. */
  { "0999-12-31T23:59:59+00:00", NULL },
  { "not a time", NULL },
};

static void
test_batch_extremes (Fixture *f, gconstpointer data)
{
  g_autofree char *big = NULL;
  g_autofree char *raw = extreme_text ("text");
  g_autofree char *text = NULL;   /* as the report keeps it: blanks trimmed */
  const char *invalid = "bad \xff\xfe utf-8 \xc3";
  g_autoptr(GError) error = NULL;
  StoreItem items[G_N_ELEMENTS (extreme_times)];
  g_autoptr(GPtrArray) reports = g_ptr_array_new_with_free_func ((GDestroyNotify) bounce_report_free);
  char sha[G_N_ELEMENTS (extreme_times)][65];
  /* The columns of each table that hold a text of the report. */
  static const char *const message_columns[] = {
    "format", "reporting_mta", "dsn_gateway", "received_from_mta", "original_envelope_id",
    "message_from", "message_subject", "original_message_id", "original_from", "original_to",
    "original_subject", "original_date", "original_list_id", "campaign", "error",
    "arrival_date_text", "message_date_text",
  };
  static const char *const outcome_columns[] = {
    "recipient", "original_recipient", "action", "status", "reply_code", "diagnostic_type",
    "remote_mta", "final_log_id", "feedback_type", "evidence",
    "last_attempt_text", "will_retry_until_text", "command",
  };

  if (f->store == NULL)
    return;
  migrate (f);
  text = g_strstrip (g_strdup (raw));
  big = g_strnfill (1024 * 1024, 'x');
  memcpy (big, text, strlen (text));

  for (gsize i = 0; i < G_N_ELEMENTS (extreme_times); i++)
    {
      BounceReport *rep = bounce_report_new ();
      const char *t = bounce_report_str (rep, raw);

      g_ptr_array_add (reports, rep);
      rep->kind = BOUNCE_KIND_ERROR;
      rep->format = rep->reporting_mta = rep->dsn_gateway = rep->received_from_mta = t;
      rep->original_envelope_id = rep->message_from = rep->message_subject = t;
      rep->original.message_id = rep->original.from = rep->original.to = t;
      rep->original.subject = rep->original.date = rep->original.list_id = t;
      rep->original.campaign = rep->error = rep->arrival_date_text = rep->message_date_text = t;
      rep->arrival_date = rep->message_date = extreme_times[i].iso;
      bounce_report_add_field (rep, rep->extensions, "X-Text", text);
      bounce_report_add_field (rep, rep->extensions, "x-text", "again");
      bounce_report_add_field (rep, rep->extensions, "X-Once", NULL);
      /* A recipient with every field set, one with none (all NULL), and
       * enough after them for ordinals well past a byte. */
      for (guint k = 0; k < 300; k++)
        {
          BounceRecipient *rc = bounce_report_add_recipient (rep);

          rc->reason = "userunknown";
          rc->hard_bounce = k % 2 == 0;
          if (k == 1)
            continue;
          rc->recipient = k == 0 ? t : bounce_report_str (rep, "user@example.org");
          if (k > 0)
            continue;
          rc->original_recipient = rc->action = rc->status = rc->reply_code = t;
          rc->diagnostic_type = rc->remote_mta = rc->final_log_id = rc->feedback_type = t;
          rc->evidence = rc->command = rc->last_attempt_text = rc->will_retry_until_text = t;
          /* Bytes that are not UTF-8 (a report built by other code than the
           * parser): replaced, not a failed batch. */
          rc->diagnostic = i == 0 ? big : invalid;
          rc->last_attempt = rc->will_retry_until = extreme_times[i].iso;
          bounce_report_add_field (rep, rc->extensions, "X-Text", text);
        }
      g_snprintf (sha[i], sizeof sha[i], "%064" G_GSIZE_MODIFIER "x", (gsize) i + 1);
      items[i] = (StoreItem) { .source = text, .sha256 = sha[i],
                               .size = i == 0 ? (gsize) G_MAXINT64 : i, .report = rep };
    }
  g_assert_true (store_write_batch (f->store, items, G_N_ELEMENTS (items), &error));
  g_assert_no_error (error);
  g_assert_cmpstr (((BounceReport *) g_ptr_array_index (reports, 0))->format, ==, text);

  assert_query_int (f->store, "SELECT count(*) FROM bounce.messages", G_N_ELEMENTS (items));
  assert_query_int (f->store, "SELECT count(*) FROM bounce.recipient_outcomes",
                    G_N_ELEMENTS (items) * 300);
  assert_query (f->store, "SELECT max(size) FROM bounce.messages", "9223372036854775807");
  assert_query (f->store, "SELECT max(ordinal) FROM bounce.recipient_outcomes", "299");
  for (gsize i = 0; i < G_N_ELEMENTS (extreme_times); i++)
    {
      g_autofree char *where = g_strdup_printf ("FROM bounce.messages WHERE sha256 = '%s'", sha[i]);
      g_autofree char *owhere = g_strdup_printf (
        "FROM bounce.recipient_outcomes o JOIN bounce.messages m ON m.id = o.message_id"
        " WHERE m.sha256 = '%s' AND o.ordinal = 0", sha[i]);
      const char *stored = extreme_times[i].stored;

      g_test_message ("case: %s", extreme_times[i].iso);
      for (gsize c = 0; c < G_N_ELEMENTS (message_columns); c++)
        {
          g_autofree char *sql = g_strdup_printf ("SELECT %s %s", message_columns[c], where);
          assert_query (f->store, sql, text);
        }
      {
        g_autofree char *sql = g_strdup_printf ("SELECT source %s", where);
        assert_query (f->store, sql, text);
      }
      for (gsize c = 0; c < G_N_ELEMENTS (outcome_columns); c++)
        {
          g_autofree char *sql = g_strdup_printf ("SELECT o.%s %s", outcome_columns[c], owhere);
          assert_query (f->store, sql, text);
        }
      {
        g_autofree char *sql = NULL;
        g_autofree char *valid = g_utf8_make_valid (invalid, -1);

        sql = g_strdup_printf ("SELECT o.diagnostic %s", owhere);
        assert_query (f->store, sql, i == 0 ? big : valid);
        g_free (sql);
        sql = g_strdup_printf ("SELECT to_char(arrival_date AT TIME ZONE 'UTC',"
                               " 'YYYY-MM-DD HH24:MI:SS') %s", where);
        assert_query (f->store, sql, stored);
        g_free (sql);
        sql = g_strdup_printf ("SELECT to_char(message_date AT TIME ZONE 'UTC',"
                               " 'YYYY-MM-DD HH24:MI:SS') %s", where);
        assert_query (f->store, sql, stored);
        g_free (sql);
        sql = g_strdup_printf ("SELECT concat_ws('|', to_char(o.last_attempt AT TIME ZONE 'UTC',"
                               " 'YYYY-MM-DD HH24:MI:SS'), to_char(o.will_retry_until AT TIME ZONE"
                               " 'UTC', 'YYYY-MM-DD HH24:MI:SS')) %s", owhere);
        g_free (valid);
        valid = stored ? g_strdup_printf ("%s|%s", stored, stored) : g_strdup ("");
        assert_query (f->store, sql, valid);
        g_free (sql);
        /* The JSON of the extension fields reads back as the same text. */
        /* A field given twice is both its values, in order, under the
         * spelling it first had (parse prints the same array). */
        sql = g_strdup_printf ("SELECT extensions->'X-Text'->>0 %s", where);
        assert_query (f->store, sql, text);
        g_free (sql);
        sql = g_strdup_printf ("SELECT concat_ws('|', jsonb_array_length(extensions->'X-Text'),"
                               " extensions->'X-Text'->>1, jsonb_typeof(extensions->'X-Once'),"
                               " (SELECT count(*) FROM jsonb_object_keys(extensions))) %s", where);
        assert_query (f->store, sql, "2|again|null|2");
        g_free (sql);
        sql = g_strdup_printf ("SELECT o.extensions->>'X-Text' %s", owhere);
        assert_query (f->store, sql, text);
      }
    }
  /* The recipient with no field: every column NULL. */
  assert_query (f->store, "SELECT count(*) FROM bounce.recipient_outcomes WHERE ordinal = 1"
                " AND num_nonnulls(recipient, original_recipient, action, status, reply_code,"
                " diagnostic_type, diagnostic, remote_mta, last_attempt, will_retry_until,"
                " final_log_id, feedback_type, evidence, extensions, last_attempt_text,"
                " will_retry_until_text, command) = 0", "6");
}

static void
test_batch_across (Fixture *f, gconstpointer data)
{
  g_autoptr(Batch) all = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *last_reason = NULL;
  /* One message per batch, the latest event first and the earliest last,
   * so that every counter and "latest" field goes through the update of
   * an existing recipients row. */
  static const guint order[] = { 1, 0, 3, 2 };

  if (f->store == NULL)
    return;
  migrate (f);
  all = batch_of_cases ();
  for (gsize k = 0; k < G_N_ELEMENTS (order); k++)
    {
      g_autoptr(Batch) one = batch_new ();

      batch_add_dsn (one, &dsn_cases[order[k]]);
      g_assert_true (batch_write (f->store, one, &error));
      g_assert_no_error (error);
    }
  assert_query (f->store, recipients_mismatch_sql, "0");
  assert_query (f->store,
                "SELECT concat_ws('|', outcomes, first_event_time AT TIME ZONE 'UTC',"
                " last_event_time AT TIME ZONE 'UTC') FROM bounce.recipients"
                " WHERE address = 'user1@example.org'",
                "2|2026-10-15 10:00:00|2026-11-01 10:00:00");
  assert_query (f->store,
                "SELECT concat_ws('|', outcomes, last_event_time AT TIME ZONE 'UTC')"
                " FROM bounce.recipients WHERE address = 'user2@example.org'",
                "2|2026-11-05 08:00:00");
  /* The latest outcome of user1 is the first DSN's, although it was
   * written before the earlier one. */
  last_reason = g_strdup (((const BounceRecipient *) g_ptr_array_index (
    ((const BounceReport *) g_ptr_array_index (all->reports, 0))->recipients, 0))->reason);
  assert_query (f->store, "SELECT last_reason FROM bounce.recipients"
                " WHERE address = 'user1@example.org'", last_reason);
}

static char *
snapshot (Store *store)
{
  return query (store,
                "SELECT concat_ws('/',"
                " (SELECT count(*) FROM bounce.messages),"
                " (SELECT count(*) FROM bounce.recipient_outcomes),"
                " (SELECT string_agg(concat_ws('|', address, outcomes, hard_bounces, soft_bounces,"
                "   last_reason, last_event_time), ';' ORDER BY address) FROM bounce.recipients))");
}

static void
test_batch_idempotent (Fixture *f, gconstpointer data)
{
  g_autoptr(Batch) b = NULL;
  g_autoptr(Batch) twice = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *after_twice = NULL;

  if (f->store == NULL)
    return;
  migrate (f);
  b = batch_of_cases ();
  g_assert_true (batch_write (f->store, b, &error));
  g_assert_no_error (error);
  before = snapshot (f->store);

  /* The same batch again: nothing changes. */
  g_assert_true (batch_write (f->store, b, &error));
  g_assert_no_error (error);
  after = snapshot (f->store);
  g_assert_cmpstr (after, ==, before);

  /* One message twice within a batch, next to one already stored: only
   * the new one is added, once. */
  twice = batch_new ();
  {
    static const TestDsn extra = { "extra", "e5", {
        { "user4@example.org", "failed", "5.1.1", "550 5.1.1 user unknown",
          "Tue, 3 Nov 2026 10:00:00 +0000" } } };

    batch_add_dsn (twice, &extra);
    batch_add_dsn (twice, &extra);
    batch_add_dsn (twice, &dsn_cases[0]);
  }
  g_assert_true (batch_write (f->store, twice, &error));
  g_assert_no_error (error);
  assert_query_int (f->store, "SELECT count(*) FROM bounce.messages", b->items->len + 1);
  assert_query_int (f->store, "SELECT count(*) FROM bounce.recipient_outcomes",
                    batch_outcomes (b) + 1);
  after_twice = snapshot (f->store);
  g_assert_true (batch_write (f->store, twice, &error));
  g_assert_no_error (error);
  {
    g_autofree char *again = snapshot (f->store);

    g_assert_cmpstr (again, ==, after_twice);
  }
  assert_query (f->store, recipients_mismatch_sql, "0");
}

/* ---- two writers at once --------------------------------------------- */

#define CONCURRENT_MESSAGES 48
#define CONCURRENT_BATCH    8
#define CONCURRENT_RETRIES  20

typedef struct {
  const char *conninfo;
  Batch *batches[CONCURRENT_MESSAGES / CONCURRENT_BATCH * 2];
  guint n_batches;
  guint retries;
  GError *error;
} WriterThread;

static gpointer
writer_thread (gpointer data)
{
  WriterThread *t = data;
  g_autoptr(Store) store = store_open (t->conninfo, &t->error);

  for (guint i = 0; store != NULL && i < t->n_batches; i++)
    {
      /* A deadlock or serialization failure is reported as unavailable:
       * the writer's answer is to retry, as the ingest worker does. */
      while (!batch_write (store, t->batches[i], &t->error))
        {
          if (t->error->code != STORE_ERROR_UNAVAILABLE || ++t->retries > CONCURRENT_RETRIES)
            return NULL;
          g_clear_error (&t->error);
          if (!store_check (store, &t->error))
            return NULL;
        }
    }
  return NULL;
}

static void
test_batch_concurrent (Fixture *f, gconstpointer data)
{
  WriterThread t[2];
  char *texts[CONCURRENT_MESSAGES] = { NULL };
  GThread *threads[2];
  guint expected_outcomes = 0;

  if (f->store == NULL)
    return;
  memset (t, 0, sizeof t);
  t[0].conninfo = t[1].conninfo = f->conninfo;
  migrate (f);
  /* Messages to a few shared addresses, so that both writers update the
   * same recipients rows; the first writer goes forwards, the second
   * backwards, in overlapping batches. */
  for (guint i = 0; i < CONCURRENT_MESSAGES; i++)
    {
      g_autofree char *id = g_strdup_printf ("c%u", i);
      g_autofree char *rcpt1 = g_strdup_printf ("u%u@example.com", i % 5);
      g_autofree char *rcpt2 = g_strdup_printf ("u%u@example.net", i % 3);
      g_autofree char *date = g_strdup_printf ("Sun, %u Nov 2026 10:00:00 +0000", 1 + i % 28);
      TestDsn c = { "concurrent", id, {
          { rcpt1, "failed", "5.1.1", "550 5.1.1 user unknown", date },
          { rcpt2, "delayed", "4.2.2", "452 4.2.2 mailbox full", date } } };

      texts[i] = dsn_compose (&c);
    }
  for (guint w = 0; w < 2; w++)
    for (guint start = 0; start < CONCURRENT_MESSAGES; start += CONCURRENT_BATCH / 2)
      {
        Batch *b = batch_new ();

        for (guint k = 0; k < CONCURRENT_BATCH && start + k < CONCURRENT_MESSAGES; k++)
          {
            guint i = w == 0 ? start + k : CONCURRENT_MESSAGES - 1 - (start + k);
            g_autofree char *source = g_strdup_printf ("new/c%u.eml", i);

            batch_add (b, source, texts[i]);
          }
        g_assert_cmpuint (t[w].n_batches, <, G_N_ELEMENTS (t[w].batches));
        t[w].batches[t[w].n_batches++] = b;
      }
  {
    g_autoptr(Batch) all = batch_new ();

    for (guint i = 0; i < CONCURRENT_MESSAGES; i++)
      batch_add (all, "new/all.eml", texts[i]);
    expected_outcomes = batch_outcomes (all);
  }

  for (int i = 0; i < 2; i++)
    threads[i] = g_thread_new ("writer", writer_thread, &t[i]);
  for (int i = 0; i < 2; i++)
    g_thread_join (threads[i]);
  for (int w = 0; w < 2; w++)
    {
      g_assert_no_error (t[w].error);
      for (guint i = 0; i < t[w].n_batches; i++)
        batch_free (t[w].batches[i]);
    }
  for (guint i = 0; i < CONCURRENT_MESSAGES; i++)
    g_free (texts[i]);
  if (t[0].retries + t[1].retries > 0)
    g_test_message ("writers retried %u times", t[0].retries + t[1].retries);

  assert_query_int (f->store, "SELECT count(*) FROM bounce.messages", CONCURRENT_MESSAGES);
  assert_query_int (f->store, "SELECT count(DISTINCT sha256) FROM bounce.messages", CONCURRENT_MESSAGES);
  assert_query_int (f->store, "SELECT count(*) FROM bounce.recipient_outcomes", expected_outcomes);
  assert_query (f->store, "SELECT count(*) FROM (SELECT message_id, ordinal FROM"
                " bounce.recipient_outcomes GROUP BY 1, 2 HAVING count(*) > 1) d", "0");
  assert_query (f->store, recipients_mismatch_sql, "0");
}

/* ---- errors ---------------------------------------------------------- */

static void
test_error_unavailable (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) store = NULL;
  g_autofree char *dir = g_dir_make_tmp ("bounced-nosrv-XXXXXX", NULL);
  g_autofree char *conninfo = g_strdup_printf ("host=%s port=5432 dbname=x", dir);

  /* A socket directory where no server listens. */
  store = store_open (conninfo, &error);
  g_assert_null (store);
  g_assert_error (error, STORE_ERROR, STORE_ERROR_UNAVAILABLE);
  g_assert_true (g_str_has_prefix (error->message, "could not connect to the database: "));
  g_rmdir (dir);
  g_clear_error (&error);

  store = store_open ("host=localhost port=70000", &error);
  g_assert_null (store);
  g_assert_nonnull (error);
  g_clear_error (&error);

  /* Not a connection string at all. */
  g_assert_null (store_resolve_conninfo ("host = 'unterminated", &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_CONFIG);
}

static void
test_error_config (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *conninfo = NULL;
  g_autoptr(Store) store = NULL;

  if (f->store == NULL)
    return;
  /* The server answers, and refuses: retrying would not help. */
  conninfo = g_strdup_printf ("dbname=%s_missing", f->dbname);
  store = store_open (conninfo, &error);
  g_assert_null (store);
  g_assert_error (error, STORE_ERROR, STORE_ERROR_CONFIG);
}

static void
test_error_statement (Fixture *f, gconstpointer data)
{
  g_autoptr(Batch) b = NULL;
  g_autoptr(GError) error = NULL;

  if (f->store == NULL)
    return;
  /* No migrations: the batch statement fails and is named. */
  b = batch_of_cases ();
  g_assert_false (batch_write (f->store, b, &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "could not run statement \"insert messages\": "));
  g_assert_nonnull (strstr (error->message, "bounce.messages"));
  g_assert_nonnull (strstr (error->message, "SQLSTATE 42P01"));
  g_clear_error (&error);

  /* The connection stays usable, outside of any transaction. */
  g_assert_true (store_check (f->store, &error));
  g_assert_no_error (error);
  migrate (f);
  g_assert_true (batch_write (f->store, b, &error));
  g_assert_no_error (error);
  assert_query_int (f->store, "SELECT count(*) FROM bounce.messages", b->items->len);

  /* A plain statement error is named too. */
  g_assert_false (store_run_sql (f->store, "SELECT * FROM bounce.no_such_table", &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "could not run statement \"sql\": "));
}

/* ---- the server restarts --------------------------------------------- */

static void
pg_ctl (const char *action)
{
  const char *program = g_getenv ("BOUNCED_TEST_PGCTL");
  const char *argv[] = { program, action, "-m", "fast", "-w", "-s", NULL };
  const char *start_argv[] = { program, action, "-w", "-s", NULL };
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) (strcmp (action, "start") == 0 ? start_argv : argv), NULL,
                G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_spawn_check_wait_status (status, &error);
  g_assert_no_error (error);
}

static void
test_server_restart (Fixture *f, gconstpointer data)
{
  static const TestDsn later[] = {
    { "after-restart", "r1", { { "user5@example.org", "failed", "5.1.1", "550 5.1.1 unknown",
                                 "Wed, 4 Nov 2026 10:00:00 +0000" } } },
    { "after-stop", "r2", { { "user6@example.org", "failed", "5.1.1", "550 5.1.1 unknown",
                              "Wed, 4 Nov 2026 11:00:00 +0000" } } },
  };
  g_autoptr(Batch) b = NULL;
  g_autoptr(Batch) b1 = batch_new ();
  g_autoptr(Batch) b2 = batch_new ();
  g_autoptr(GError) error = NULL;

  if (f->store == NULL)
    return;
  if (g_getenv ("BOUNCED_TEST_PGCTL") == NULL)
    {
      g_test_skip ("BOUNCED_TEST_PGCTL not set (run under tests/with-postgres)");
      return;
    }
  migrate (f);
  b = batch_of_cases ();
  batch_add_dsn (b1, &later[0]);
  batch_add_dsn (b2, &later[1]);
  g_assert_true (batch_write (f->store, b, &error));
  g_assert_no_error (error);

  /* Restarted between two batches: the next batch reconnects by itself. */
  pg_ctl ("restart");
  g_assert_true (batch_write (f->store, b1, &error));
  g_assert_no_error (error);

  /* Down: unavailable, for the batch and for the check. */
  pg_ctl ("stop");
  g_assert_false (batch_write (f->store, b2, &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_UNAVAILABLE);
  g_clear_error (&error);
  g_assert_false (store_check (f->store, &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_UNAVAILABLE);
  g_clear_error (&error);

  /* Back: the check reconnects, and the batch is written once. */
  pg_ctl ("start");
  g_assert_true (store_check (f->store, &error));
  g_assert_no_error (error);
  g_assert_true (batch_write (f->store, b2, &error));
  g_assert_no_error (error);
  assert_query_int (f->store, "SELECT count(*) FROM bounce.messages", b->items->len + 2);
  assert_query_int (f->store, "SELECT count(*) FROM bounce.recipient_outcomes",
                    batch_outcomes (b) + 2);
  assert_query (f->store, recipients_mismatch_sql, "0");
}

/* ---- the private cluster --------------------------------------------- */

typedef struct {
  char *dir;              /* XDG_DATA_HOME of the runs */
  gboolean as_nobody;     /* root runs bounced as nobody (initdb refuses root) */
} Private;

/* Runs `bounced ARGS` with no database configured; returns its exit
 * status, its standard output in @out. */
static int private_run_program (const Private *p, const char *program,
                                const char *const *args, char **out);

static int
private_run (const Private *p, const char *const *args, char **out)
{
  return private_run_program (p, g_getenv ("BOUNCED"), args, out);
}

/* @program (bounced, psql) with @args, as the test's user of the cluster. */
static int
private_run_program (const Private *p, const char *program, const char *const *args,
                     char **out)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_auto(GStrv) env = g_get_environ ();
  g_auto(GStrv) names = g_listenv ();
  g_autofree char *xdg = g_strdup_printf ("XDG_DATA_HOME=%s", p->dir);
  g_autofree char *err = NULL;
  g_autofree char *ignored = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  /* Standard output is never left to the TAP stream. */
  if (out == NULL)
    out = &ignored;
  for (char **n = names; *n; n++)
    if (g_str_has_prefix (*n, "PG") || strcmp (*n, "DATABASE_URL") == 0
        || strcmp (*n, "BOUNCED_DB") == 0)
      env = g_environ_unsetenv (env, *n);
  if (p->as_nobody)
    {
      g_ptr_array_add (argv, (gpointer) "runuser");
      g_ptr_array_add (argv, (gpointer) "-u");
      g_ptr_array_add (argv, (gpointer) "nobody");
      g_ptr_array_add (argv, (gpointer) "--");
    }
  g_ptr_array_add (argv, (gpointer) "env");
  g_ptr_array_add (argv, xdg);
  g_ptr_array_add (argv, (gpointer) program);
  for (; *args; args++)
    g_ptr_array_add (argv, (gpointer) *args);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync ("/", (char **) argv->pdata, env, G_SPAWN_SEARCH_PATH, NULL, NULL,
                out, &err, &status, &error);
  g_assert_no_error (error);
  if (err != NULL && *err != '\0')
    g_test_message ("stderr: %s", err);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static void
test_private_cluster (void)
{
  Private p = { NULL, geteuid () == 0 };
  g_autofree char *out = NULL;
  g_autofree char *conf = NULL;
  g_autofree char *conf_path = NULL;
  g_autofree char *socket = NULL;

  if (g_getenv ("BOUNCED") == NULL || !g_file_test ("/usr/lib/postgresql", G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("needs BOUNCED and PostgreSQL's server programs");
      return;
    }
  p.dir = g_dir_make_tmp ("bounced-private-XXXXXX", NULL);
  g_assert_nonnull (p.dir);
  if (p.as_nobody)
    {
      g_assert_cmpint (chown (p.dir, 65534, 65534), ==, 0);
      if (private_run (&p, (const char *const[]) { "--version", NULL }, NULL) != 0)
        {
          g_test_skip ("user nobody cannot run the bounced under test");
          g_rmdir (p.dir);
          g_free (p.dir);
          return;
        }
    }

  g_assert_cmpint (private_run (&p, (const char *const[]) { "db", "status", NULL }, &out), ==, 3);
  g_assert_nonnull (strstr (out, "state: not created"));
  g_clear_pointer (&out, g_free);

  /* First use: created, started, migrated. */
  g_assert_cmpint (private_run (&p, (const char *const[]) { "migrate", NULL }, &out), ==, 0);
  g_assert_true (g_str_has_prefix (out, "applied "));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (private_run (&p, (const char *const[]) { "db", "status", NULL }, &out), ==, 0);
  g_assert_nonnull (strstr (out, "state: running"));
  g_clear_pointer (&out, g_free);

  /* Only a Unix socket, inside the data directory. */
  conf_path = g_build_filename (p.dir, "bounced", "pg", "postgresql.conf", NULL);
  g_assert_true (g_file_get_contents (conf_path, &conf, NULL, NULL));
  g_assert_nonnull (strstr (conf, "\nlisten_addresses = ''\n"));
  socket = g_build_filename (p.dir, "bounced", "pg", ".s.PGSQL.5432", NULL);
  g_assert_true (g_file_test (socket, G_FILE_TEST_EXISTS));

  /* Nothing trusted: peer authentication through bounced's map. */
  {
    g_autofree char *hba_path = g_build_filename (p.dir, "bounced", "pg", "pg_hba.conf", NULL);
    g_autofree char *hba = NULL;

    g_assert_true (g_file_get_contents (hba_path, &hba, NULL, NULL));
    g_assert_nonnull (strstr (hba, "local   all   all   peer map=bounced\n"));
    g_assert_null (strstr (hba, "trust"));
  }

  /* Reused, running: nothing to do. */
  g_assert_cmpint (private_run (&p, (const char *const[]) { "migrate", NULL }, &out), ==, 0);
  g_assert_cmpstr (out, ==, "database schema is up to date\n");
  g_clear_pointer (&out, g_free);

  /* Stopped, then started again on demand. */
  g_assert_cmpint (private_run (&p, (const char *const[]) { "db", "stop", NULL }, &out), ==, 0);
  g_assert_nonnull (strstr (out, " stopped"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (private_run (&p, (const char *const[]) { "db", "status", NULL }, &out), ==, 3);
  g_assert_nonnull (strstr (out, "state: stopped"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (private_run (&p, (const char *const[]) { "migrate", NULL }, &out), ==, 0);
  g_assert_cmpstr (out, ==, "database schema is up to date\n");
  g_clear_pointer (&out, g_free);

  /* The worker's session is bounced_ingest, no superuser, and it can work:
   * a Maildir of one bounce ingested through the private cluster. */
  {
    g_autofree char *maildir = g_build_filename (p.dir, "Maildir", NULL);
    g_autofree char *msg = g_build_filename (maildir, "new", "1764000000.M1P1.test", NULL);
    g_autofree char *dsn = dsn_compose (&dsn_cases[0]);
    g_autofree char *conninfo = NULL;
    const char *subs[] = { "cur", "new", "tmp" };

    for (gsize i = 0; i < G_N_ELEMENTS (subs); i++)
      {
        g_autofree char *d = g_build_filename (maildir, subs[i], NULL);
        g_assert_cmpint (g_mkdir_with_parents (d, 0700), ==, 0);
        if (p.as_nobody)
          {
            g_assert_cmpint (chown (d, 65534, 65534), ==, 0);
            g_assert_cmpint (chown (maildir, 65534, 65534), ==, 0);
          }
      }
    g_assert_true (g_file_set_contents (msg, dsn, -1, NULL));
    if (p.as_nobody)
      g_assert_cmpint (chown (msg, 65534, 65534), ==, 0);
    g_assert_cmpint (private_run (&p, (const char *const[]) { "ingest", maildir, NULL }, &out),
                     ==, 0);
    g_clear_pointer (&out, g_free);
    conninfo = g_strdup_printf ("host=%s/bounced/pg port=5432 dbname=bounced user=bounced_ingest",
                                p.dir);
    g_assert_cmpint (private_run_program (&p, "psql", (const char *const[]) {
                       "-X", "-A", "-t", "-d", conninfo, "-c",
                       "SELECT concat_ws('|', current_user, rolsuper, (SELECT count(*) FROM"
                       " bounce.messages)) FROM pg_roles WHERE rolname = current_user", NULL },
                     &out), ==, 0);
    g_assert_cmpstr (out, ==, "bounced_ingest|f|1\n");
    g_clear_pointer (&out, g_free);
  }

  g_assert_cmpint (private_run (&p, (const char *const[]) { "db", "stop", NULL }, NULL), ==, 0);
  {
    const char *rm[] = { "rm", "-rf", p.dir, NULL };

    g_spawn_sync ("/", (char **) rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
  }
  g_free (p.dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define DB_TEST(path, fn) \
  g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)

  DB_TEST ("/store/migrate/apply-and-reapply", test_migrate_apply_reapply);
  DB_TEST ("/store/migrate/concurrent", test_migrate_concurrent);
  DB_TEST ("/store/batch/rows", test_batch_rows);
  DB_TEST ("/store/batch/across-batches", test_batch_across);
  DB_TEST ("/store/batch/every-field-extremes", test_batch_extremes);
  DB_TEST ("/store/batch/idempotent", test_batch_idempotent);
  DB_TEST ("/store/batch/concurrent-writers", test_batch_concurrent);
  g_test_add_func ("/store/error/unavailable", test_error_unavailable);
  DB_TEST ("/store/error/config", test_error_config);
  DB_TEST ("/store/error/statement", test_error_statement);
  DB_TEST ("/store/server/restart", test_server_restart);
  g_test_add_func ("/store/private-cluster", test_private_cluster);

  return g_test_run ();
}
