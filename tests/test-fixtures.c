/* test-fixtures.c - every fixture message against its expected answer
 *
 * A fixture is fixtures/<category>/<name>.eml with <name>.json beside it.
 * The JSON holds a subset of what `bounced parse --format=jsonl` prints for
 * the message: every key present must match exactly, objects are compared
 * by the keys the expected side names, arrays element by element and must
 * have the same length.  The message goes through bounce_report_parse() and
 * report_json_append(), the writer the command uses, and is read back with
 * json-glib: what is compared is the output contract itself.
 *
 * Conventions of the fixture tree:
 *  1. fixtures/maildir/ (a Maildir for the worker's tests) and
 *     fixtures/pending/ (known parser failures, see its README) are skipped.
 *  2. A message stored with three line ends is <name>.lf.eml, <name>.crlf.eml
 *     and <name>.cr.eml sharing <name>.json (RFC 5322 2.3 prescribes CRLF;
 *     mail stores use LF, and old Mac tools CR: all must read the same).
 *  3. An optional <name>.settings (a GKeyFile, group [settings], keys
 *     campaign_header, max_recipients, max_mime_depth, max_mime_parts,
 *     max_message_size, max_field_length) changes the parse settings of that fixture, as the
 *     command's options would.
 *  4. The expected JSON never names "source", "sha256", "classifier_version"
 *     or "evidence": they describe the run, not the message, and a fixture
 *     that pins them is refused.
 *
 * The limit tests build their oversized inputs here rather than committing
 * megabytes of fixtures.
 */
#include "bounce-private.h"
#include "report-json.h"
#include "bounced-config.h"

#include <json-glib/json-glib.h>
#include <string.h>

static const char *const volatile_keys[] = {
  "source", "sha256", "classifier_version", "evidence",
};

/* Directories under fixtures/ that hold no expected answers for us. */
static const char *const skipped_dirs[] = { "maildir", "pending" };

static const char *const line_end_suffixes[] = { ".lf", ".crlf", ".cr" };

typedef struct {
  char *eml;        /* absolute path of the message */
  char *json;       /* absolute path of the expected answer */
  char *settings;   /* absolute path of the settings file, or NULL */
} Fixture;

static void
fixture_free (gpointer data)
{
  Fixture *f = data;

  g_free (f->eml);
  g_free (f->json);
  g_free (f->settings);
  g_free (f);
}

static char *
fixtures_root (void)
{
  const char *src = g_getenv ("BOUNCED_SRCDIR");

  return g_build_filename (src != NULL ? src : BOUNCED_SRCDIR, "fixtures", NULL);
}

/* ---- running a message through the parser and the writer ---------------- */

static gboolean
load_settings (const char *path, BounceSettings *settings, char **campaign_out,
               GError **error_out)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  /* The limits a fixture may set: key, field of BounceSettings, its type. */
  static const struct {
    const char *key;
    gsize offset;
    gboolean is_guint;
  } limits[] = {
    { "max_recipients", G_STRUCT_OFFSET (BounceSettings, max_recipients), TRUE },
    { "max_mime_depth", G_STRUCT_OFFSET (BounceSettings, max_mime_depth), TRUE },
    { "max_mime_parts", G_STRUCT_OFFSET (BounceSettings, max_mime_parts), TRUE },
    { "max_message_size", G_STRUCT_OFFSET (BounceSettings, max_message_size), FALSE },
    { "max_field_length", G_STRUCT_OFFSET (BounceSettings, max_field_length), FALSE },
  };

  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, error_out))
    return FALSE;
  if (g_key_file_has_key (kf, "settings", "campaign_header", NULL))
    {
      *campaign_out = g_key_file_get_string (kf, "settings", "campaign_header", error_out);
      if (*campaign_out == NULL)
        return FALSE;
      settings->campaign_header = *campaign_out;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (limits); i++)
    {
      gint64 n;

      if (!g_key_file_has_key (kf, "settings", limits[i].key, NULL))
        continue;
      n = g_key_file_get_int64 (kf, "settings", limits[i].key, error_out);
      if (n <= 0 || n > G_MAXUINT)
        {
          if (error_out != NULL && *error_out == NULL)
            g_set_error (error_out, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                         "%s must be a positive number", limits[i].key);
          return FALSE;
        }
      if (limits[i].is_guint)
        G_STRUCT_MEMBER (guint, settings, limits[i].offset) = (guint) n;
      else
        G_STRUCT_MEMBER (gsize, settings, limits[i].offset) = (gsize) n;
    }
  return TRUE;
}

/* The JSON object the command would print for @data, as `bounced parse`
 * builds it: a NULL report (input past a limit) becomes an error report
 * carrying the error text. */
static JsonNode *
parse_to_json (const char *data, gsize len, const BounceSettings *settings,
               const char *source)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BounceReport) report = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();

  report = bounce_report_parse (data, len, settings, &error);
  if (report == NULL)
    {
      g_assert_nonnull (error);
      report = bounce_report_new_error (error->message);
    }
  else
    g_assert_no_error (error);
  report_json_append (out, source, NULL, report);
  if (!json_parser_load_from_data (parser, out->str, (gssize) out->len, &error))
    g_error ("the writer produced invalid JSON (%s): %s", error->message, out->str);
  return json_node_copy (json_parser_get_root (parser));
}

/* ---- comparing an expected subset with the output ----------------------- */

/* @node as JSON text with non-ASCII characters as \\uXXXX escapes: test
 * messages pass through the locale's charset, and in the C locale UTF-8
 * text would print as question marks. */
static char *
node_text (JsonNode *node)
{
  g_autofree char *json = NULL;
  GString *out;

  if (node == NULL)
    return g_strdup ("(missing)");
  json = json_to_string (node, FALSE);
  out = g_string_sized_new (strlen (json));
  for (const char *p = json; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c < 0x80)
        g_string_append_c (out, (char) c);
      else if (c < 0x10000)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_printf (out, "\\u%04x\\u%04x", 0xd800 + ((c - 0x10000) >> 10),
                                0xdc00 + ((c - 0x10000) & 0x3ff));
    }
  return g_string_free (out, FALSE);
}

/* Compares @expected with @actual at @path; on the first difference, writes
 * a line saying where and what into @diff and returns FALSE. */
static gboolean
subset_match (JsonNode *expected, JsonNode *actual, const char *path, GString *diff)
{
  JsonNodeType type = json_node_get_node_type (expected);

  if (actual == NULL || json_node_get_node_type (actual) != type)
    {
      g_autofree char *e = node_text (expected);
      g_autofree char *a = node_text (actual);
      g_string_append_printf (diff, "%s: expected %s, got %s", path, e, a);
      return FALSE;
    }
  switch (type)
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *eo = json_node_get_object (expected);
        JsonObject *ao = json_node_get_object (actual);
        g_autoptr(GList) members = json_object_get_members (eo);

        for (GList *m = members; m != NULL; m = m->next)
          {
            const char *key = m->data;
            g_autofree char *sub = *path ? g_strdup_printf ("%s.%s", path, key)
                                         : g_strdup (key);

            if (!json_object_has_member (ao, key))
              {
                g_autofree char *e = node_text (json_object_get_member (eo, key));
                g_string_append_printf (diff, "%s: expected %s, but the output has no such key",
                                        sub, e);
                return FALSE;
              }
            if (!subset_match (json_object_get_member (eo, key),
                               json_object_get_member (ao, key), sub, diff))
              return FALSE;
          }
        return TRUE;
      }
    case JSON_NODE_ARRAY:
      {
        JsonArray *ea = json_node_get_array (expected);
        JsonArray *aa = json_node_get_array (actual);
        guint n = json_array_get_length (ea);

        for (guint i = 0; i < n && i < json_array_get_length (aa); i++)
          {
            g_autofree char *sub = g_strdup_printf ("%s[%u]", path, i);
            if (!subset_match (json_array_get_element (ea, i),
                               json_array_get_element (aa, i), sub, diff))
              return FALSE;
          }
        if (json_array_get_length (aa) != n)
          {
            g_autofree char *a = node_text (actual);
            g_string_append_printf (diff, "%s: expected %u elements, got %u: %s",
                                    path, n, json_array_get_length (aa), a);
            return FALSE;
          }
        return TRUE;
      }
    case JSON_NODE_NULL:
      return TRUE;
    case JSON_NODE_VALUE:
      if (json_node_equal (expected, actual))
        return TRUE;
      {
        g_autofree char *e = node_text (expected);
        g_autofree char *a = node_text (actual);
        g_string_append_printf (diff, "%s: expected %s, got %s", path, e, a);
      }
      return FALSE;
    }
  return FALSE;
}

/* Whether @node names a key that describes the run rather than the message. */
static const char *
volatile_key_in (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *o = json_node_get_object (node);
      g_autoptr(GList) members = json_object_get_members (o);

      for (GList *m = members; m != NULL; m = m->next)
        {
          const char *found;

          for (gsize i = 0; i < G_N_ELEMENTS (volatile_keys); i++)
            if (strcmp (m->data, volatile_keys[i]) == 0)
              return volatile_keys[i];
          if ((found = volatile_key_in (json_object_get_member (o, m->data))) != NULL)
            return found;
        }
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *a = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          const char *found = volatile_key_in (json_array_get_element (a, i));
          if (found != NULL)
            return found;
        }
    }
  return NULL;
}

static void
test_fixture (gconstpointer data)
{
  const Fixture *f = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonNode) actual = NULL;
  g_autoptr(GString) diff = g_string_new (NULL);
  g_autofree char *contents = NULL;
  g_autofree char *campaign = NULL;
  BounceSettings settings;
  JsonNode *expected;
  const char *bad;
  gsize len;

  if (!json_parser_load_from_file (parser, f->json, &error))
    {
      g_test_fail_printf ("%s: %s", f->json, error->message);
      return;
    }
  expected = json_parser_get_root (parser);
  if (expected == NULL || !JSON_NODE_HOLDS_OBJECT (expected))
    {
      g_test_fail_printf ("%s: the expected answer is not a JSON object", f->json);
      return;
    }
  if ((bad = volatile_key_in (expected)) != NULL)
    {
      g_test_fail_printf ("%s: expected answers must not name \"%s\"", f->json, bad);
      return;
    }

  bounce_settings_init (&settings);
  if (f->settings != NULL && !load_settings (f->settings, &settings, &campaign, &error))
    {
      g_test_fail_printf ("%s: %s", f->settings, error->message);
      return;
    }
  g_assert_true (g_file_get_contents (f->eml, &contents, &len, &error));
  g_assert_no_error (error);

  actual = parse_to_json (contents, len, &settings, f->eml);
  if (!subset_match (expected, actual, "", diff))
    {
      g_autofree char *full = json_to_string (actual, TRUE);
      g_test_message ("full output for %s:\n%s", f->eml, full);
      g_test_fail_printf ("%s: %s", f->eml, diff->str);
    }
}

/* ---- finding the fixtures ----------------------------------------------- */

/* The expected answer of @eml: <stem>.json, or for a line-end variant
 * <stem>.<lf|crlf|cr>.eml the shared <stem>.json.  NULL if there is none. */
static char *
expected_for (const char *eml, char **line_end_stem_out)
{
  g_autofree char *stem = g_strndup (eml, strlen (eml) - 4);
  g_autofree char *json = g_strconcat (stem, ".json", NULL);

  *line_end_stem_out = NULL;
  if (g_file_test (json, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&json);
  for (gsize i = 0; i < G_N_ELEMENTS (line_end_suffixes); i++)
    if (g_str_has_suffix (stem, line_end_suffixes[i]))
      {
        g_autofree char *base = g_strndup (stem, strlen (stem) - strlen (line_end_suffixes[i]));
        g_autofree char *shared = g_strconcat (base, ".json", NULL);

        if (g_file_test (shared, G_FILE_TEST_IS_REGULAR))
          {
            *line_end_stem_out = g_steal_pointer (&base);
            return g_steal_pointer (&shared);
          }
      }
  return NULL;
}

static void
collect (const char *dir, gboolean top, GPtrArray *fixtures, GHashTable *line_end_stems)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) d = g_dir_open (dir, 0, &error);
  const char *name;

  if (d == NULL)
    g_error ("could not open \"%s\": %s", dir, error->message);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          gboolean skip = FALSE;
          for (gsize i = 0; top && i < G_N_ELEMENTS (skipped_dirs); i++)
            skip |= strcmp (name, skipped_dirs[i]) == 0;
          if (!skip)
            collect (path, FALSE, fixtures, line_end_stems);
          continue;
        }
      if (g_str_has_suffix (name, ".eml"))
        {
          char *stem = NULL;
          char *json = expected_for (path, &stem);
          Fixture *f;

          if (json == NULL)
            continue;
          f = g_new0 (Fixture, 1);
          f->eml = g_steal_pointer (&path);
          f->json = json;
          /* <stem>.settings sits beside <stem>.json. */
          f->settings = g_strdup_printf ("%.*s.settings", (int) (strlen (json) - 5), json);
          if (!g_file_test (f->settings, G_FILE_TEST_IS_REGULAR))
            g_clear_pointer (&f->settings, g_free);
          if (stem != NULL)
            g_hash_table_add (line_end_stems, stem);
          g_ptr_array_add (fixtures, f);
        }
    }
}

static int
fixture_compare (gconstpointer a, gconstpointer b)
{
  const Fixture *fa = *(Fixture *const *) a;
  const Fixture *fb = *(Fixture *const *) b;

  return strcmp (fa->eml, fb->eml);
}

/* "/fixtures/<category>/<name>" for fixtures/<category>/<name>.eml. */
static char *
test_path (const char *root, const char *eml)
{
  const char *rel = eml + strlen (root) + 1;

  return g_strdup_printf ("/fixtures/%.*s", (int) (strlen (rel) - 4), rel);
}

/* ---- line ends ---------------------------------------------------------- */

/* The three stored variants of a line-ends fixture must give the same full
 * output, apart from what names the file (source, sha256). */
static void
test_line_ends (gconstpointer data)
{
  const char *stem = data;
  g_autofree char *first_text = NULL;
  const char *first_suffix = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (line_end_suffixes); i++)
    {
      g_autofree char *eml = g_strconcat (stem, line_end_suffixes[i], ".eml", NULL);
      g_autofree char *contents = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) node = NULL;
      g_autofree char *text = NULL;
      gsize len;

      if (!g_file_get_contents (eml, &contents, &len, &error))
        {
          g_test_fail_printf ("line-end variant missing: %s", error->message);
          return;
        }
      /* Each variant must really use its line end, or the test proves
       * nothing: LF has no CR, CR has no LF, CRLF has both. */
      if ((strcmp (line_end_suffixes[i], ".lf") == 0 && memchr (contents, '\r', len) != NULL)
          || (strcmp (line_end_suffixes[i], ".cr") == 0 && memchr (contents, '\n', len) != NULL)
          || (strcmp (line_end_suffixes[i], ".crlf") == 0
              && g_strstr_len (contents, (gssize) len, "\r\n") == NULL))
        {
          g_test_fail_printf ("%s does not use the line ends its name says", eml);
          return;
        }

      node = parse_to_json (contents, len, NULL, "-");
      json_object_remove_member (json_node_get_object (node), "sha256");
      text = json_to_string (node, TRUE);
      if (first_text == NULL)
        {
          first_text = g_steal_pointer (&text);
          first_suffix = line_end_suffixes[i];
        }
      else if (strcmp (first_text, text) != 0)
        {
          g_test_message ("%s:\n%s\n%s:\n%s", first_suffix, first_text,
                          line_end_suffixes[i], text);
          g_test_fail_printf ("%s%s.eml and %s%s.eml give different output", stem,
                              first_suffix, stem, line_end_suffixes[i]);
          return;
        }
    }
}

/* ---- limits ------------------------------------------------------------- */

static const char dsn_head[] =
  "From: MAILER-DAEMON@mx.example.net\n"
  "To: sender@example.com\n"
  "Subject: Undelivered Mail Returned to Sender\n"
  "Date: Fri, 20 Nov 2026 10:00:00 +0000\n"
  "MIME-Version: 1.0\n"
  "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n"
  "\n"
  "--B\n"
  "Content-Type: text/plain\n"
  "\n"
  "Your message could not be delivered.\n"
  "\n"
  "--B\n"
  "Content-Type: message/delivery-status\n"
  "\n"
  "Reporting-MTA: dns; mx.example.net\n";

/* A DSN with @n recipient blocks. */
static GString *
dsn_with_recipients (guint n)
{
  GString *s = g_string_new (dsn_head);

  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "\nFinal-Recipient: rfc822; user%u@example.org\n"
                               "Action: failed\nStatus: 5.1.1\n", i);
  g_string_append (s, "\n--B--\n");
  return s;
}

/* Asserts that @node is an error report whose error text is @error_text. */
static void
assert_error (JsonNode *node, const char *error_text)
{
  JsonObject *o = json_node_get_object (node);

  g_assert_cmpstr (json_object_get_string_member (o, "kind"), ==, "error");
  g_assert_cmpstr (json_object_get_string_member (o, "error"), ==, error_text);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "recipients")), ==, 0);
}

static void
test_limit_size (void)
{
  g_autoptr(GString) s = dsn_with_recipients (1);
  g_autoptr(JsonNode) small = NULL;
  g_autoptr(JsonNode) big = NULL;
  g_autoptr(JsonNode) exact = NULL;
  g_autofree char *text = NULL;
  BounceSettings settings;
  gsize len;

  /* A small limit: one byte short of the message is refused, the exact size
   * is read. */
  bounce_settings_init (&settings);
  settings.max_message_size = s->len - 1;
  small = parse_to_json (s->str, s->len, &settings, "-");
  text = g_strdup_printf ("message of %" G_GSIZE_FORMAT " bytes exceeds the limit of %"
                          G_GSIZE_FORMAT " bytes", s->len, s->len - 1);
  assert_error (small, text);
  settings.max_message_size = s->len;
  exact = parse_to_json (s->str, s->len, &settings, "-");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (exact), "kind"), ==, "dsn");

  /* The default limit, 32 MiB: a message one byte larger, padded with a
   * long body the parser would otherwise have to read. */
  len = BOUNCE_DEFAULT_MAX_MESSAGE_SIZE + 1;
  g_string_set_size (s, len);
  memset (s->str + len - 1024 * 1024, 'x', 1024 * 1024);
  for (gsize i = len - 1024 * 1024; i < len; i += 77)
    s->str[i] = '\n';
  big = parse_to_json (s->str, len, NULL, "-");
  g_free (text);
  text = g_strdup_printf ("message of %" G_GSIZE_FORMAT " bytes exceeds the limit of %u bytes",
                          len, BOUNCE_DEFAULT_MAX_MESSAGE_SIZE);
  assert_error (big, text);
}

/* @levels nested multiparts, each with a text part before the next level. */
static GString *
nested_multiparts (guint levels)
{
  GString *s = g_string_new ("From: MAILER-DAEMON@mx.example.net\n"
                             "To: sender@example.com\n"
                             "Subject: nested\n"
                             "MIME-Version: 1.0\n");

  for (guint i = 0; i < levels; i++)
    g_string_append_printf (s, "Content-Type: multipart/mixed; boundary=\"L%u\"\n\n"
                               "--L%u\nContent-Type: text/plain\n\nlevel %u\n--L%u\n",
                            i, i, i, i);
  g_string_append (s, "Content-Type: text/plain\n\ninnermost\n");
  for (guint i = levels; i-- > 0;)
    g_string_append_printf (s, "--L%u--\n", i);
  return s;
}

/* @levels messages each wrapping the next as message/rfc822. */
static GString *
nested_messages (guint levels)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < levels; i++)
    g_string_append_printf (s, "From: a%u@example.com\nSubject: level %u\n"
                               "MIME-Version: 1.0\nContent-Type: message/rfc822\n\n", i, i);
  g_string_append (s, "From: inner@example.com\nSubject: inner\n\nbody\n");
  return s;
}

/* A report whose returned message is base64-encoded message/global (RFC
 * 6532 3.7) hiding @levels nested multiparts: depth that a scan of the
 * outer text cannot see. */
static GString *
encoded_nested (guint levels)
{
  g_autoptr(GString) inner = nested_multiparts (levels);
  g_autofree char *b64 = g_base64_encode ((const guchar *) inner->str, inner->len);
  GString *s = g_string_new ("From: MAILER-DAEMON@mx.example.net\n"
                             "To: sender@example.com\n"
                             "Subject: encoded\n"
                             "MIME-Version: 1.0\n"
                             "Content-Type: multipart/report; report-type=delivery-status;"
                             " boundary=\"E\"\n\n"
                             "--E\nContent-Type: text/plain\n\nnotice\n"
                             "--E\nContent-Type: message/global\n"
                             "Content-Transfer-Encoding: base64\n\n");

  for (gsize i = 0, n = strlen (b64); i < n; i += 76)
    {
      g_string_append_len (s, b64 + i, (gssize) MIN (76, n - i));
      g_string_append_c (s, '\n');
    }
  g_string_append (s, "--E--\n");
  return s;
}

static void
test_limit_depth (void)
{
  BounceSettings settings;
  g_autofree char *text = g_strdup_printf ("MIME structure is nested deeper than %u levels",
                                           BOUNCE_DEFAULT_MAX_MIME_DEPTH);
  struct {
    const char *name;
    GString *(*build) (guint);
    guint levels;
    gboolean refused;
  } cases[] = {
    { "multiparts within the limit", nested_multiparts, 8, FALSE },
    { "multiparts past the limit", nested_multiparts, BOUNCE_DEFAULT_MAX_MIME_DEPTH + 8, TRUE },
    { "multiparts far past the limit", nested_multiparts, 20000, TRUE },
    { "messages past the limit", nested_messages, BOUNCE_DEFAULT_MAX_MIME_DEPTH + 8, TRUE },
    { "messages far past the limit", nested_messages, 20000, TRUE },
    { "encoded message within the limit", encoded_nested, 8, FALSE },
    { "encoded message past the limit", encoded_nested, BOUNCE_DEFAULT_MAX_MIME_DEPTH, TRUE },
    { "encoded message far past the limit", encoded_nested, 20000, TRUE },
  };

  bounce_settings_init (&settings);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GString) s = cases[i].build (cases[i].levels);
      g_autoptr(JsonNode) node = parse_to_json (s->str, s->len, &settings, "-");
      JsonObject *o = json_node_get_object (node);

      g_test_message ("case: %s", cases[i].name);
      if (cases[i].refused)
        assert_error (node, text);
      else
        g_assert_cmpstr (json_object_get_string_member (o, "kind"), !=, "error");
    }
}

/* A multipart/@subtype of @n empty parts (the part bomb: "--Z" and a blank
 * line, five bytes a part), written with the boundary declared as
 * @boundary_param and each boundary line as @line. */
static GString *
flat_parts (guint n, const char *subtype, const char *boundary_param, const char *line)
{
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "From: MAILER-DAEMON@mx.example.net\n"
                             "To: sender@example.com\n"
                             "Subject: parts\n"
                             "MIME-Version: 1.0\n"
                             "Content-Type: multipart/%s;%s\n\n", subtype, boundary_param);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "%s\n\n", line);
  return s;
}

/* @outer parts, each a multipart of @inner parts: the limit counts the
 * parts of every level. */
static GString *
nested_parts (guint outer, guint inner)
{
  GString *s = g_string_new ("From: MAILER-DAEMON@mx.example.net\n"
                             "Subject: parts\n"
                             "MIME-Version: 1.0\n"
                             "Content-Type: multipart/mixed; boundary=\"O\"\n\n");

  for (guint i = 0; i < outer; i++)
    {
      g_string_append_printf (s, "--O\nContent-Type: multipart/mixed; boundary=\"I%u\"\n\n", i);
      for (guint k = 0; k < inner; k++)
        g_string_append_printf (s, "--I%u\nContent-Type: text/plain\n\npart %u.%u\n", i, i, k);
      g_string_append_printf (s, "--I%u--\n", i);
    }
  g_string_append (s, "--O--\n");
  return s;
}

/* A report whose returned message is base64-encoded message/global hiding
 * @n parts that a scan of the outer text cannot see. */
static GString *
encoded_parts (guint n)
{
  g_autoptr(GString) inner = flat_parts (n, "mixed", " boundary=\"Z\"", "--Z");
  g_autofree char *b64 = g_base64_encode ((const guchar *) inner->str, inner->len);
  GString *s = g_string_new ("From: MAILER-DAEMON@mx.example.net\n"
                             "Subject: encoded\n"
                             "MIME-Version: 1.0\n"
                             "Content-Type: multipart/report; report-type=delivery-status;"
                             " boundary=\"E\"\n\n"
                             "--E\nContent-Type: text/plain\n\nnotice\n"
                             "--E\nContent-Type: message/global\n"
                             "Content-Transfer-Encoding: base64\n\n");

  for (gsize i = 0, len = strlen (b64); i < len; i += 76)
    {
      g_string_append_len (s, b64 + i, (gssize) MIN (76, len - i));
      g_string_append_c (s, '\n');
    }
  g_string_append (s, "--E--\n");
  return s;
}

static void
test_limit_parts (void)
{
  g_autofree char *text = g_strdup_printf ("MIME structure has more than %u parts",
                                           BOUNCE_DEFAULT_MAX_MIME_PARTS);
  const guint max = BOUNCE_DEFAULT_MAX_MIME_PARTS;
  struct {
    const char *name;
    GString *s;
    gboolean refused;
  } cases[] = {
    { "at the limit", flat_parts (max, "mixed", " boundary=\"Z\"", "--Z"), FALSE },
    { "one past the limit", flat_parts (max + 1, "mixed", " boundary=\"Z\"", "--Z"), TRUE },
    /* The generator of the issue: a million empty parts, 5 MB. */
    { "a million empty parts", flat_parts (1000000, "mixed", " boundary=\"Z\"", "--Z"), TRUE },
    /* Boundaries as GMime reads them, not as a naive scan would. */
    { "RFC 2231 continued boundary", flat_parts (max + 1, "mixed", "\n boundary*0=\"Z\";\n boundary*1=\"Y\"",
                                                 "--ZY"), TRUE },
    { "blanks after the boundary line", flat_parts (max + 1, "mixed", " boundary=\"Z\"", "--Z \t"), TRUE },
    { "unquoted boundary", flat_parts (max + 1, "mixed", " boundary=Z", "--Z"), TRUE },
    /* multipart/digest: each empty part is a message/rfc822 of its own. */
    { "digest", flat_parts (max + 1, "digest", " boundary=\"Z\"", "--Z"), TRUE },
    { "lines that are not boundaries", flat_parts (5000, "mixed", " boundary=\"Z\"", "--Zx"), FALSE },
    { "nested within the limit", nested_parts (30, 30), FALSE },
    { "nested past the limit", nested_parts (40, 30), TRUE },
    { "encoded message within the limit", encoded_parts (max / 2), FALSE },
    { "encoded message past the limit", encoded_parts (max + 1), TRUE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonNode) node = parse_to_json (cases[i].s->str, cases[i].s->len, NULL, "-");
      JsonObject *o = json_node_get_object (node);

      g_test_message ("case: %s", cases[i].name);
      if (cases[i].refused)
        assert_error (node, text);
      else
        g_assert_cmpstr (json_object_get_string_member (o, "kind"), !=, "error");
      g_string_free (cases[i].s, TRUE);
    }
}

static void
test_limit_recipients (void)
{
  g_autofree char *text = g_strdup_printf ("delivery status has more than %u recipients",
                                           BOUNCE_DEFAULT_MAX_RECIPIENTS);
  g_autoptr(GString) at = dsn_with_recipients (BOUNCE_DEFAULT_MAX_RECIPIENTS);
  g_autoptr(GString) past = dsn_with_recipients (BOUNCE_DEFAULT_MAX_RECIPIENTS + 1);
  g_autoptr(JsonNode) at_node = parse_to_json (at->str, at->len, NULL, "-");
  g_autoptr(JsonNode) past_node = parse_to_json (past->str, past->len, NULL, "-");
  JsonObject *o = json_node_get_object (at_node);
  JsonArray *rcpts = json_object_get_array_member (o, "recipients");

  /* Exactly at the limit: all of them, in order. */
  g_assert_cmpstr (json_object_get_string_member (o, "kind"), ==, "dsn");
  g_assert_cmpuint (json_array_get_length (rcpts), ==, BOUNCE_DEFAULT_MAX_RECIPIENTS);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rcpts, 9999),
                                                  "recipient"), ==, "user9999@example.org");
  assert_error (past_node, text);
}

/* ---- output of what is not UTF-8 ----------------------------------------- */

/* A file name is bytes, and may not be UTF-8 (ISO 8859-1 names on an old
 * file system): the JSON and the table stay UTF-8 (RFC 8259 8.1), the bad
 * bytes U+FFFD, as the database stores the source. */
static void
test_output_source_not_utf8 (void)
{
  static const char source[] = "new/caf\xe9-\xff\xfe.eml";
  g_autoptr(GString) s = dsn_with_recipients (1);
  g_autoptr(BounceReport) report = bounce_report_parse (s->str, s->len, NULL, NULL);
  g_autoptr(GString) json = g_string_new (NULL);
  g_autoptr(GString) table = g_string_new (NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = g_utf8_make_valid (source, -1);

  g_assert_nonnull (report);
  report_json_append (json, source, NULL, report);
  g_assert_true (g_utf8_validate (json->str, (gssize) json->len, NULL));
  g_assert_true (json_parser_load_from_data (parser, json->str, (gssize) json->len, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (json_parser_get_root (parser)),
                                                  "source"), ==, expected);
  report_json_append_table_rows (table, source, report);
  g_assert_true (g_utf8_validate (table->str, (gssize) table->len, NULL));
  g_assert_nonnull (strstr (table->str, expected));
}

/* ---- main --------------------------------------------------------------- */

int
main (int argc, char **argv)
{
  g_autofree char *root = fixtures_root ();
  g_autoptr(GPtrArray) fixtures = g_ptr_array_new_with_free_func (fixture_free);
  g_autoptr(GHashTable) stems = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GList) stem_list = NULL;

  /* Fixtures are independent of each other: report every failing one, not
   * only the first (GTest stops at the first failure unless told to go on). */
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_ptr_array_add (args, argv[0]);
  g_ptr_array_add (args, (char *) "--keep-going");
  for (int i = 1; i < argc; i++)
    g_ptr_array_add (args, argv[i]);
  g_ptr_array_add (args, NULL);
  argc = (int) args->len - 1;
  argv = (char **) args->pdata;

  g_test_init (&argc, &argv, NULL);

  collect (root, TRUE, fixtures, stems);
  g_ptr_array_sort (fixtures, fixture_compare);
  for (guint i = 0; i < fixtures->len; i++)
    {
      Fixture *f = g_ptr_array_index (fixtures, i);
      g_autofree char *path = test_path (root, f->eml);

      g_test_add_data_func (path, f, test_fixture);
    }

  stem_list = g_list_sort (g_hash_table_get_keys (stems), (GCompareFunc) strcmp);
  for (GList *l = stem_list; l != NULL; l = l->next)
    {
      g_autofree char *path = g_strdup_printf ("/line-ends/%s/identical",
                                               (const char *) l->data + strlen (root) + 1);
      g_test_add_data_func (path, l->data, test_line_ends);
    }

  g_test_add_func ("/output/source-not-utf8", test_output_source_not_utf8);
  g_test_add_func ("/limits/message-size", test_limit_size);
  g_test_add_func ("/limits/mime-depth", test_limit_depth);
  g_test_add_func ("/limits/mime-parts", test_limit_parts);
  g_test_add_func ("/limits/recipients", test_limit_recipients);

  /* No fixture at all means the walk looked in the wrong place. */
  if (fixtures->len == 0)
    g_error ("no fixtures found under \"%s\"", root);
  return g_test_run ();
}
