/* replay.c - runs the fuzz target over the seed corpus, without libFuzzer
 *
 * Built always (with any compiler) as the unit tests "fuzz-seeds" (every
 * file of tests/fuzz/corpus through LLVMFuzzerTestOneInput() of
 * fuzz-parse.c), "fuzz-classify-seeds" (corpus-classify, fuzz-classify.c)
 * and "fuzz-dsn-fields-seeds" (corpus-dsn-fields, fuzz-dsn-fields.c); each
 * target checks its invariants and aborts on a broken one.  Inputs that once crashed the parser are kept in the corpus,
 * so this test keeps them fixed.
 */
#include <glib.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The seed directory of the target this replay is linked with (one replay
 * test per target: fuzz-seeds, fuzz-classify-seeds, fuzz-dsn-fields-seeds). */
#ifndef REPLAY_CORPUS
#define REPLAY_CORPUS "corpus"
#endif

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static void
test_seed (gconstpointer data)
{
  const char *path = data;
  g_autofree char *contents = NULL;
  gsize len;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpint (LLVMFuzzerTestOneInput ((const uint8_t *) contents, len), ==, 0);
}

int
main (int argc, char **argv)
{
  g_autofree char *dir_path = NULL;
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  const char *name;

  g_test_init (&argc, &argv, NULL);
  dir_path = g_test_build_filename (G_TEST_DIST, "fuzz", REPLAY_CORPUS, NULL);
  dir = g_dir_open (dir_path, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (names, g_strdup (name));
  /* A stable order, so that a failure names the same case every run. */
  g_ptr_array_sort (names, compare_names);
  g_assert_cmpuint (names->len, >, 0);
  for (guint i = 0; i < names->len; i++)
    {
      const char *n = g_ptr_array_index (names, i);
      g_autofree char *test_path = g_strdup_printf ("/fuzz/seeds/%s", n);
      char *file = g_build_filename (dir_path, n, NULL);

      g_ptr_array_add (paths, file);
      g_test_add_data_func (test_path, file, test_seed);
    }
  return g_test_run ();
}
